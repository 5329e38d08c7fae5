"""A real SMTP server (aiosmtpd) for tests, collecting every mail it receives (the `mailbox`
fixture of tests/conftest.py).

Parley delivers mail after the answer, from its outbox (core/outbox.py), so reading the box
first waits until this process's outbox is empty: `to`, `wait_for` and `code_for` see every
mail queued so far, and `clear` leaves no earlier test's mail to arrive late. A box made with
`hold=True` keeps each mail at DATA (unanswered) until `release()`; with `fail_first=n` it
answers the first n mails "451 try again later", as a busy server does."""
import asyncio
import email
import email.policy
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from core import outbox
from extensions import db
from tests.support.apps import make_app
from tests.support.servers import free_port

OUTBOX_WAIT = 20.0  # seconds; above the test SMTP server's longest hold
MAX_HOLD = 15.0  # seconds a held mail waits for release() before it is accepted anyway


@dataclass
class ReceivedMail:
    """One mail as the SMTP server received it."""

    to: list[str]
    subject: str
    body: str


class _Handler:
    def __init__(self, box: "Mailbox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        box = self.box
        with box.lock:
            if box.failures_left:
                box.failures_left -= 1
                return "451 Requested action aborted: try again later"
            if box.hold:
                box.held += 1
        if box.hold:
            # Off the server's event loop, so other sessions (and release) go on meanwhile. A
            # client that goes away meanwhile cancels this: its mail is never received.
            try:
                await asyncio.get_running_loop().run_in_executor(None, box.released.wait, MAX_HOLD)
            finally:
                with box.lock:
                    box.held -= 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        with box.lock:
            box.messages.append(ReceivedMail([r.lower() for r in envelope.rcpt_tos],
                                             str(message["Subject"]), body))
        return "250 Message accepted for delivery"


class Mailbox:
    """Mails received by the test SMTP server; `code_for` reads the 6-digit code of the last one."""

    def __init__(self, hold: bool = False, fail_first: int = 0):
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self.hold = hold
        self.held = 0  # mails waiting at DATA for release()
        self.released = threading.Event()
        self.failures_left = fail_first
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def clear(self) -> None:
        """Forget every mail received, once the outbox has sent what earlier tests queued."""
        settle()
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        """The mails received for `address`, once everything queued so far has been sent."""
        settle()
        with self.lock:
            return [m for m in self.messages if address.lower() in m.to]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.to(address)
            if len(mails) >= count:
                return mails
            time.sleep(0.02)
        raise AssertionError(f"no mail #{count} for {address} within {timeout}s: {self.messages}")

    def code_for(self, address: str) -> str:
        """Return the 6-digit code in the newest mail to `address` (waiting for it briefly)."""
        mail = self.wait_for(address)[-1]
        match = re.search(r"^\s+(\d{6})\s*$", mail.body, re.M)
        assert match, f"no code in mail: {mail.body}"
        return match.group(1)

    def wait_until_held(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` mails are held at DATA (a box made with hold=True)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.held >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{self.held} mail(s) held, not {count}; received: {self.messages}")

    def release(self) -> None:
        """Answer every held mail, and every later one at once."""
        self.released.set()


def settle() -> None:
    """Wait until this process's outbox has delivered (or given up on) every mail queued."""
    assert outbox.flush(OUTBOX_WAIT), "the outbox did not empty"


@contextmanager
def smtp_server(**options):
    """A `Mailbox(**options)` serving for the `with` block; held mails are released and the
    outbox emptied before it stops, so no later test waits on them."""
    box = Mailbox(**options)
    box.controller.start()
    try:
        yield box
    finally:
        box.release()
        settle()
        box.controller.stop()


@contextmanager
def app_mailing_to(smtp, database, tmp_path, **config):
    """A Parley app (`make_app`, `config` its overrides) whose mail goes to `smtp` (a Mailbox,
    or anything with the `port` of a server), its engine closed after the block."""
    app = make_app(database, smtp, tmp_path, **config)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
