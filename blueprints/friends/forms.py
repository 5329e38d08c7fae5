"""Forms of the friends page, for browsers without JavaScript (its script uses the API)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField


class FriendRequestForm(FlaskForm):
    """Ask someone to be your friend: their username and a reason. The rules (who, how long)
    are friends.services.send_friend_request's, as for the API."""

    username = StringField(_l("Username"), render_kw={"maxlength": 64, "autocomplete": "off"})
    reason = TextAreaField(_l("Reason"), render_kw={"maxlength": 200, "rows": 3})
    submit = SubmitField(_l("Send request"))
