"""The profile page's block form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from core.forms import REQUIRED


class BlockForm(FlaskForm):
    username = StringField(_l("Username"), validators=[REQUIRED, Length(max=32)], render_kw={"maxlength": 32})
    submit = SubmitField(_l("Block"))
