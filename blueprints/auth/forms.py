"""Forms of the account pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Length, Regexp

from blueprints.auth.passwords import MAX_LENGTH, MIN_LENGTH
from core.forms import REQUIRED, new_password_field


class EmailCodeMixin:
    """The email and code fields of every page that mails a code."""

    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    code = StringField(
        _l("Code from the email"),
        validators=[REQUIRED, Regexp(r"^\s*\d{6}\s*$", message=_l("The code is 6 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    send_code = SubmitField(_l("Send code"))


class RegisterForm(EmailCodeMixin, FlaskForm):
    """Username, nickname, email, password and the emailed code."""

    username = StringField(
        _l("Username"),
        validators=[REQUIRED, Length(min=3, max=32)],
        render_kw={"autocomplete": "username", "maxlength": 32},
    )
    nickname = StringField(_l("Nickname"), validators=[REQUIRED, Length(max=32)],
                           render_kw={"maxlength": 32})
    password = new_password_field(_l("Password"), MIN_LENGTH, MAX_LENGTH)
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    """Username or email, password, remember me."""

    login = StringField(_l("Username or email"), validators=[REQUIRED, Length(max=254)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    """The address to mail a reset code to."""

    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    submit = SubmitField(_l("Send code"))


class ResetPasswordForm(EmailCodeMixin, FlaskForm):
    """The emailed code and the new password."""

    password = new_password_field(_l("New password"), MIN_LENGTH, MAX_LENGTH)
    submit = SubmitField(_l("Set new password"))
