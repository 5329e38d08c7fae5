"""How many workers gunicorn may start: several need Redis to deliver to each other."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"

pytestmark = pytest.mark.process


def start_gunicorn(tmp_path, **env) -> subprocess.CompletedProcess:
    """Run `gunicorn -c gunicorn.conf.py wsgi:app` as deployed until it exits (at most 20 s)."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("REDIS_URL", "FLASK_REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY")}
    environment.update({"FLASK_INSTANCE_PATH": str(tmp_path), "PARLEY_BIND": "127.0.0.1:0", **env})
    return subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=20)


def test_two_workers_without_redis_refuse_to_start_and_say_why(tmp_path):
    result = start_gunicorn(tmp_path, WEB_CONCURRENCY="2")
    assert result.returncode != 0
    assert "2 workers need REDIS_URL" in result.stderr
    assert "WEB_CONCURRENCY=1" in result.stderr
