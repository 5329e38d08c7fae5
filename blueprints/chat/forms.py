"""Forms of the chat page: the composer, as a form for browsers without JavaScript."""
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField


def new_client_id() -> str:
    """A fresh client id (a random UUID) for a form that sends a message."""
    return str(uuid.uuid4())


class MessageForm(FlaskForm):
    """The composer. Its text is checked by chat.services.send_message (empty, too long), as
    the API's is; `client_id` is a fresh UUID each time the page renders, so the same form
    sent twice (a double click, a resubmitted POST) stores one message."""

    body = TextAreaField(_l("Message"))
    client_id = HiddenField(default=new_client_id)
    submit = SubmitField(_l("Send"))
