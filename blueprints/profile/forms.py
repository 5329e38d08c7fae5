"""Forms of the profile page; each has a prefix so several can share the page."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, Regexp

from blueprints.auth.passwords import MAX_LENGTH, MIN_LENGTH
from core.forms import REQUIRED, new_password_field


class NicknameForm(FlaskForm):
    nickname = StringField(_l("Nickname"), validators=[REQUIRED, Length(max=32)],
                           render_kw={"maxlength": 32})
    submit = SubmitField(_l("Save nickname"))


class AvatarForm(FlaskForm):
    file = FileField(_l("Image (PNG, JPEG, GIF or WebP, at most 5 MB)"),
                     validators=[FileRequired(message=_l("Choose an image file."))],
                     render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})
    submit = SubmitField(_l("Upload avatar"))


class EmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=[REQUIRED, Length(max=254)])
    code = StringField(
        _l("Code from the email"),
        validators=[Optional(), Regexp(r"^\s*\d{6}\s*$", message=_l("The code is 6 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    send_code = SubmitField(_l("Send code"))
    submit = SubmitField(_l("Change email"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[REQUIRED, Length(max=MAX_LENGTH)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = new_password_field(_l("New password"), MIN_LENGTH, MAX_LENGTH)
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Save language"))


class ReceiptsForm(FlaskForm):
    share = BooleanField(_l("Share read receipts"))
    submit = SubmitField(_l("Save"))


class PreferencesForm(FlaskForm):
    # Checked by the service against core.timezones (a bad value is shown back with its error).
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    online_notices = BooleanField(_l("Tell me when a friend comes online"))
    submit = SubmitField(_l("Save"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[REQUIRED, Length(max=64)],
                       render_kw={"maxlength": 64})
    submit = SubmitField(_l("Create token"))
