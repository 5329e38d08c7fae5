"""The chat page's file form, for browsers without JavaScript."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField

FORM_FILES_MAX = 10  # files one form may send at once (each is a message, and a send)


class FilesForm(FlaskForm):
    """Images or files to send, each as a message of its own, in the order chosen."""

    files = MultipleFileField(_l("Send images or files"))
