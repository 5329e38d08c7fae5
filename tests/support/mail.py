"""A real SMTP server (aiosmtpd) for tests, collecting every mail it receives (the `mailbox`
fixture of tests/conftest.py)."""
import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


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
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        with self.box.lock:
            self.box.messages.append(ReceivedMail([r.lower() for r in envelope.rcpt_tos],
                                                  str(message["Subject"]), body))
        return "250 Message accepted for delivery"


class Mailbox:
    """Mails received by the test SMTP server; `code_for` reads the 6-digit code of the last one."""

    def __init__(self):
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[ReceivedMail]:
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
