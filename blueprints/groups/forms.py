"""Forms of the group pages, for browsers without JavaScript (their scripts use the API)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField


class _FriendsField(SelectMultipleField):
    """Friends picked by id (checkboxes the template draws). Whether each is a friend who may
    be added is the groups service's rule, so any whole numbers are taken here."""

    def pre_validate(self, form):
        """Take any ids: the groups service says which friends may be added."""


class CreateGroupForm(FlaskForm):
    """A new group: its name (groups.services.clean_name's rules) and friends to add."""

    name = StringField(_l("Name"), render_kw={"maxlength": 50, "autocomplete": "off"})
    members = _FriendsField(_l("Members (optional)"), coerce=int)
    submit = SubmitField(_l("Create"))


class AddMembersForm(FlaskForm):
    """Friends to add to a group."""

    members = _FriendsField(_l("Add friends"), coerce=int)
    submit = SubmitField(_l("Add"))
