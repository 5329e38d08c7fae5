"""Outgoing mail: rendered during the request, delivered by this process's outbox
(core/outbox.py) after it, or written to the log when no MAIL_SERVER is configured."""
import logging
import smtplib
import time
from dataclasses import dataclass
from functools import partial

from flask import current_app, render_template
from flask_mail import Message, sanitize_address, sanitize_addresses

from core import outbox

log = logging.getLogger("parley.mail")


@dataclass(frozen=True)
class Envelope:
    """A mail ready for SMTP: the server's settings (from MAIL_*), the envelope addresses and
    the whole message as bytes. Holds nothing of the app, so the sender needs no app context."""

    server: str
    port: int
    use_ssl: bool
    use_tls: bool
    username: str | None
    password: str | None
    timeout: float  # seconds, for connecting and for each SMTP reply
    sender: str
    recipients: tuple[str, ...]
    payload: bytes


def send_mail(to: str, subject: str, template: str, **context) -> None:
    """Send the plain-text mail `templates/mail/<template>.txt`, rendered with `context`, to `to`.

    The mail is rendered now (in the request's language) and queued; this process's outbox
    delivers it after the answer has gone, so the answer takes as long, and says the same,
    whether a mail was sent or not. Failures are retried (MAIL_SEND_ATTEMPTS tries in all,
    waiting MAIL_RETRY_DELAY seconds, doubled after each) and then logged to "parley.mail";
    the caller is never told. With no MAIL_SERVER configured (the quick start), the whole mail
    is written to that log at once instead, so a person can read their code there. With
    MAIL_SUPPRESS_SEND (Flask-Mail's, on by default when TESTING) nothing is sent.
    Raises nothing but template errors.
    """
    body = render_template(f"mail/{template}.txt", **context)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.warning("MAIL_SERVER is not set; mail to %s:\nSubject: %s\n\n%s", to, subject, body)
        return
    if current_app.extensions["mail"].suppress:
        return
    message = Message(subject=subject, recipients=[to], body=body, date=time.time())
    envelope = Envelope(
        server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]),
        use_ssl=bool(config["MAIL_USE_SSL"]), use_tls=bool(config["MAIL_USE_TLS"]),
        username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
        timeout=float(config["MAIL_TIMEOUT"]), sender=sanitize_address(message.sender),
        recipients=tuple(sanitize_addresses(message.send_to)), payload=message.as_bytes(),
    )
    outbox.put(outbox.Job(run=partial(deliver, envelope), label=f"mail to {to}",
                          attempts=max(1, int(config["MAIL_SEND_ATTEMPTS"])),
                          delay=float(config["MAIL_RETRY_DELAY"]), retry=worth_retrying))


def deliver(envelope: Envelope) -> None:
    """Hand `envelope` to its SMTP server in one session (SSL or STARTTLS and login as
    configured). Raises smtplib.SMTPException or OSError when the server refuses or fails."""
    smtp_class = smtplib.SMTP_SSL if envelope.use_ssl else smtplib.SMTP
    with smtp_class(envelope.server, envelope.port, timeout=envelope.timeout) as smtp:
        if envelope.use_tls:
            smtp.starttls()
        if envelope.username and envelope.password:
            smtp.login(envelope.username, envelope.password)
        smtp.sendmail(envelope.sender, list(envelope.recipients), envelope.payload)


def worth_retrying(exc: BaseException) -> bool:
    """True for a failure that may pass (the server unreachable or disconnecting, a 4xx
    reply); False for a permanent refusal (5xx, such as an unknown address)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))
