"""Form pieces more than one area uses."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

REQUIRED = DataRequired(message=_l("This field is required."))


class ActionForm(FlaskForm):
    """A button-only form (log out, log out a device, revoke a token, join a group): carries
    the CSRF token."""


def new_password_field(label: str, min_length: int, max_length: int) -> PasswordField:
    """A required field for choosing a password of `min_length` to `max_length` characters,
    marked so browsers offer to generate and save one."""
    return PasswordField(label, validators=[REQUIRED, Length(min=min_length, max=max_length)],
                         render_kw={"autocomplete": "new-password"})
