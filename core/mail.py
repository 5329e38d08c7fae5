"""Outgoing mail through Flask-Mail, or to the log when no MAIL_SERVER is configured."""
import logging
import smtplib

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_mail import Message

from core.errors import DomainError
from extensions import mail

log = logging.getLogger("parley.mail")


class MailUnavailable(DomainError):
    """The mail server could not be reached; the person should try again later."""

    status = 503


def send_mail(to: str, subject: str, template: str, **context) -> None:
    """Send the plain-text mail `templates/mail/<template>.txt`, rendered with `context`, to `to`.

    With no MAIL_SERVER configured (the quick start), the whole mail is written to the
    "parley.mail" log instead, so a person can read their code there. Raises MailUnavailable
    when the SMTP server refuses or cannot be reached.
    """
    body = render_template(f"mail/{template}.txt", **context)
    if not current_app.config.get("MAIL_SERVER"):
        log.warning("MAIL_SERVER is not set; mail to %s:\nSubject: %s\n\n%s", to, subject, body)
        return
    message = Message(subject=subject, recipients=[to], body=body)
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        log.error("could not send mail to %s: %s", to, exc.__class__.__name__)
        raise MailUnavailable(_("We could not send the mail just now. Please try again in a minute.")) from exc
