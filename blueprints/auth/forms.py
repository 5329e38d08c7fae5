"""Forms of the account pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from blueprints.auth.passwords import MAX_LENGTH, MIN_LENGTH

_required = DataRequired(message=_l("This field is required."))


class EmailCodeMixin:
    """The email and code fields of every page that mails a code."""

    email = EmailField(_l("Email"), validators=[_required, Length(max=254)])
    code = StringField(
        _l("Code from the email"),
        validators=[_required, Regexp(r"^\s*\d{6}\s*$", message=_l("The code is 6 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    send_code = SubmitField(_l("Send code"))


class RegisterForm(EmailCodeMixin, FlaskForm):
    """Username, nickname, email, password and the emailed code."""

    username = StringField(
        _l("Username"),
        validators=[_required, Length(min=3, max=32)],
        render_kw={"autocomplete": "username", "maxlength": 32},
    )
    nickname = StringField(_l("Nickname"), validators=[_required, Length(max=32)],
                           render_kw={"maxlength": 32})
    password = PasswordField(
        _l("Password"),
        validators=[_required, Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    """Username or email, password, remember me."""

    login = StringField(_l("Username or email"), validators=[_required, Length(max=254)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[_required, Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    """The address to mail a reset code to."""

    email = EmailField(_l("Email"), validators=[_required, Length(max=254)])
    submit = SubmitField(_l("Send code"))


class ResetPasswordForm(EmailCodeMixin, FlaskForm):
    """The emailed code and the new password."""

    password = PasswordField(
        _l("New password"),
        validators=[_required, Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set new password"))


class LogoutForm(FlaskForm):
    """An empty form: logout is a POST with a CSRF token."""
