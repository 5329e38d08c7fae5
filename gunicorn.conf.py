"""gunicorn settings for Parley: gevent workers (long-lived SSE streams need async workers)."""
import multiprocessing
import os

bind = os.environ.get("PARLEY_BIND", "127.0.0.1:8000")
worker_class = "gevent"
# One worker by default: with SQLite and the in-process broker, every stream must share one
# process. With REDIS_URL set, workers deliver to each other, so use every core.
_default_workers = multiprocessing.cpu_count() * 2 if os.environ.get("REDIS_URL") else 1
workers = int(os.environ.get("WEB_CONCURRENCY", _default_workers))
worker_connections = int(os.environ.get("PARLEY_WORKER_CONNECTIONS", 20000))
timeout = 30  # seconds without a worker heartbeat before it is restarted
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("PARLEY_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("PARLEY_LOG_LEVEL", "info")
_EXIT_MAIL_FLUSH = 5  # seconds a stopping worker waits for the mail it queued (within graceful_timeout)


def on_starting(server) -> None:
    """Refuse to start several workers without Redis: each worker's in-process broker would
    see the others' events only as gaps, filled from the database a fraction of a second at a
    time, and live delivery would fall ever further behind (README, "Deployment")."""
    redis_url = os.environ.get("REDIS_URL") or os.environ.get("FLASK_REDIS_URL")
    if server.cfg.workers > 1 and not redis_url:
        raise SystemExit(
            f"Parley: {server.cfg.workers} workers need REDIS_URL, so that every worker hears the "
            "others' events. Set REDIS_URL (redis://host:6379/0), or run one worker "
            "(WEB_CONCURRENCY=1): one gevent worker serves thousands of streams.")


def post_worker_init(worker) -> None:
    """Start the worker's hub (its broker listener) as the worker starts rather than with its
    first stream: from then on it hears every revocation, so the worker may remember who a
    session or token belongs to (blueprints/auth/cache.py)."""
    from realtime import EXTENSION_KEY

    worker.wsgi.extensions[EXTENSION_KEY].start()


def worker_exit(server, worker) -> None:
    """Before a worker process ends (a deploy, a restart, a stop), write the read positions its
    viewing pages moved since the last flush (realtime/viewing.py), and give the mail it queued
    (core/outbox.py) and the push notifications it queued (blueprints/push/sender.py)
    `_EXIT_MAIL_FLUSH` seconds each to leave; best effort: what is left is logged."""
    # Imported here, not at the top: this file is read by the master, before gevent patches
    # the worker's threading, and the app has imported the module by now anyway.
    from blueprints.push import sender as push_sender
    from core import outbox
    from realtime import EXTENSION_KEY

    app = getattr(worker, "wsgi", None)
    if app is not None and EXTENSION_KEY in getattr(app, "extensions", {}):
        app.extensions[EXTENSION_KEY].viewing.flush()
    if not push_sender.flush(_EXIT_MAIL_FLUSH):
        server.log.warning("Worker %s exits with push notifications unsent", worker.pid)
    queued = outbox.pending()
    if not queued:
        return
    server.log.info("Worker %s: sending %d queued mail(s) before exiting", worker.pid, queued)
    if not outbox.flush(_EXIT_MAIL_FLUSH):
        server.log.warning("Worker %s exits with %d mail(s) unsent", worker.pid, outbox.pending())
