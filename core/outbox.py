"""Each process's outbox: work a request hands off (mail) and one background sender does in
order, retrying failures, so no answer waits on, or reveals anything by, a slow SMTP server.

    outbox.put(Job(run=deliver, label="mail to alice@example.org"))  # returns at once
    outbox.flush(5.0)  # True once everything queued in this process is done (or given up)

The sender is a `threading.Thread` started by the first `put`: a greenlet under gevent's
patching (gunicorn's workers, `wsgi.py`), a real thread under the test client and the CLI.
What is still queued when the process ends is flushed for a few seconds, best effort: by
gunicorn's `worker_exit` hook (gunicorn.conf.py) and by `atexit` for any other process.
"""
import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("parley.mail")

EXIT_FLUSH_TIMEOUT = 10.0  # seconds a process ending waits for its queued jobs


def _always(_exc: BaseException) -> bool:
    return True


@dataclass(frozen=True)
class Job:
    """One piece of work for the sender.

    `run()` does it once and raises on failure; `label` names it in the log (never a secret);
    `attempts` tries in all, sleeping `delay` seconds after the first failure and twice as long
    after each next one; `retry(exc)` says whether a failure is worth another try (a refused
    address is not, a server that is down is).
    """

    run: Callable[[], None]
    label: str
    attempts: int = 3
    delay: float = 1.0
    retry: Callable[[BaseException], bool] = _always


class Outbox:
    """Jobs waiting in one process, done in order by one sender started on the first `put`."""

    def __init__(self, name: str = "parley-outbox", logger: logging.Logger = log) -> None:
        self.name = name  # its sender thread's
        self.log = logger  # where failures are written
        self._jobs: deque[Job] = deque()
        self._changed = threading.Condition()
        self._unfinished = 0  # queued plus the one being done
        self._sender: threading.Thread | None = None

    def put(self, job: Job) -> None:
        """Queue `job` and return at once (starting the sender if it is not running)."""
        with self._changed:
            self._jobs.append(job)
            self._unfinished += 1
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send_forever, name=self.name, daemon=True)
                self._sender.start()
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until every queued job is done or given up; return
        whether the outbox is empty."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._unfinished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def pending(self) -> int:
        """How many jobs are queued or being done."""
        with self._changed:
            return self._unfinished

    def _send_forever(self) -> None:
        while True:
            with self._changed:
                while not self._jobs:
                    self._changed.wait()
                job = self._jobs.popleft()
            try:
                _do(job, self.log)
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()


def _do(job: Job, log: logging.Logger) -> None:
    for attempt in range(1, job.attempts + 1):
        try:
            job.run()
            return
        except Exception as exc:  # noqa: BLE001 - the sender must outlive any one job
            final = attempt == job.attempts or not job.retry(exc)
            # The class only: a server's error text may quote the message.
            log.log(logging.ERROR if final else logging.WARNING, "%s failed (try %d of %d): %s%s",
                    job.label, attempt, job.attempts, exc.__class__.__name__,
                    "; giving up" if final else "")
            if final:
                return
        time.sleep(job.delay * 2 ** (attempt - 1))


class ProcessOutbox:
    """One Outbox per process, made on first use: a forked child (a gunicorn worker) starts
    its own. `name` names its sender thread; failures go to `logger` (by default "parley.mail")."""

    def __init__(self, name: str, logger: logging.Logger = log) -> None:
        self.name = name
        self.logger = logger
        self._outbox: Outbox | None = None
        self._owner_pid: int | None = None
        self._create_lock = threading.Lock()

    def _here(self) -> Outbox | None:
        return self._outbox if self._owner_pid == os.getpid() else None

    def put(self, job: Job) -> None:
        """Queue `job` in this process's outbox and return at once."""
        with self._create_lock:
            if self._here() is None:
                self._outbox, self._owner_pid = Outbox(self.name, self.logger), os.getpid()
                atexit.register(self._flush_at_exit, self._outbox)
            box = self._outbox
        box.put(job)

    def flush(self, timeout: float = EXIT_FLUSH_TIMEOUT) -> bool:
        """Wait up to `timeout` seconds for this process's queued jobs; return whether none is
        left (True at once when nothing was ever queued)."""
        box = self._here()
        return True if box is None else box.flush(timeout)

    def pending(self) -> int:
        """How many jobs this process has queued and not yet done or given up."""
        box = self._here()
        return 0 if box is None else box.pending()

    def _flush_at_exit(self, box: Outbox) -> None:
        if box is self._here() and not box.flush(EXIT_FLUSH_TIMEOUT):
            self.logger.error("%d queued job(s) were not done before this process ended", box.pending())


_mail = ProcessOutbox("parley-outbox")


def put(job: Job) -> None:
    """Queue `job` in this process's mail outbox and return at once."""
    _mail.put(job)


def flush(timeout: float = EXIT_FLUSH_TIMEOUT) -> bool:
    """Wait up to `timeout` seconds for this process's queued mail jobs; return whether none
    is left (True at once when nothing was ever queued)."""
    return _mail.flush(timeout)


def pending() -> int:
    """How many mail jobs this process has queued and not yet done or given up."""
    return _mail.pending()
