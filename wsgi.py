"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""
from gevent import monkey

# Patch the standard library before anything imports socket, ssl or threading, so blocking
# calls (psycopg 3 >= 3.1.14 included) yield to other greenlets. gunicorn's gevent worker
# does the same; patching twice is harmless.
monkey.patch_all()

from app import create_app  # noqa: E402

app = create_app()
