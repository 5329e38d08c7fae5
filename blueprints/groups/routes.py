"""Group pages: the list, one group's page, and joining by invite link."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.friends.services import list_friends
from blueprints.groups import bp, services
from blueprints.groups.payloads import invite_url
from core.errors import DomainError
from core.forms import ActionForm
from core.ratelimit import action_limit


@bp.route("/groups")
@login_required
def index():
    """Your groups (filter box, quit menu) and the create-group dialog."""
    return render_template("groups/index.html", groups=services.list_groups(current_user),
                           friends=list_friends(current_user))


@bp.route("/groups/<int:group_id>")
@login_required
def detail(group_id: int):
    """A group's page: members, and the owner's tools."""
    group = services.get_group(current_user, group_id)
    people = services.members(group)
    member_ids = {user.id for _stay, user in people}
    addable = [f for f in list_friends(current_user) if f.id not in member_ids]
    return render_template("groups/detail.html", group=group, members=people, addable=addable,
                           invite_url=invite_url(group) if group.owner_id == current_user.id else None)


@bp.route("/groups/join/<code>", methods=["GET", "POST"])
@login_required
@action_limit(methods=["POST"])
def join(code: str):
    """An invite link: shows the group and a Join button."""
    group = services.group_for_invite(code)
    form = ActionForm()
    if form.is_submitted():
        if services.is_member(group.id, current_user.id):
            flash(_("You are already a member."), "info")
            return redirect(url_for("groups.detail", group_id=group.id))
        try:
            services.join_by_invite(current_user, code)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("groups.join", code=code))
        flash(_("You joined %(name)s.", name=group.name), "success")
        return redirect(url_for("groups.detail", group_id=group.id))
    return render_template("groups/join.html", group=group, form=form,
                           member_count=services.member_count(group.id),
                           already_member=services.is_member(group.id, current_user.id))
