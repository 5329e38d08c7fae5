"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""
import gc

from gevent import monkey

# Patch the standard library before anything imports socket, ssl or threading, so blocking
# calls (psycopg 3 >= 3.1.14 included) yield to other greenlets. gunicorn's gevent worker
# does the same; patching twice is harmless.
monkey.patch_all()

from app import create_app  # noqa: E402

app = create_app()

# The ~350,000 objects loaded so far live as long as the worker. Kept out of the cyclic
# collector's full passes, which otherwise walk them all and stall every stream of the
# worker for 0.1-0.15 s about once a second under load (bench/RESULTS.md, the group of 1,000).
gc.collect()
gc.freeze()
