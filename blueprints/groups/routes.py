"""Group pages: the list, one group's page, and joining by invite link. Their scripts act
through the API; the forms here do the same without JavaScript (post/redirect/get)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from blueprints.friends.services import list_friends
from blueprints.groups import bp, services
from blueprints.groups.forms import AddMembersForm, CreateGroupForm
from blueprints.groups.payloads import invite_url
from core.errors import DomainError
from core.forms import ActionForm
from core.ratelimit import action_limit, refused_page
from core.typed import typed_form
from core.views import render_form


@bp.route("/groups")
@login_required
def index():
    """Your groups (filter box, quit menu) and the create-group dialog."""
    return _index_page()


@bp.route("/groups/<int:group_id>")
@login_required
def detail(group_id: int):
    """A group's page: members, and the owner's tools."""
    group = services.get_group(current_user, group_id)
    people = services.members(group)
    member_ids = {user.id for _stay, user in people}
    addable = [f for f in list_friends(current_user) if f.id not in member_ids]
    return render_template("groups/detail.html", group=group, members=people, addable=addable, form=AddMembersForm(),
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


def _index_page(form: CreateGroupForm | None = None, exc: DomainError | None = None):
    return render_form("groups/index.html", form or CreateGroupForm(formdata=None), exc,
                       groups=services.list_groups(current_user), friends=list_friends(current_user))


@bp.route("/groups", methods=["POST"])
@refused_page(lambda exc: _index_page(CreateGroupForm(typed_form()), exc))
@login_required
@action_limit()
def create():
    """Create a group without JavaScript (as the API does), then open its page (303); a
    refusal (the service's, a NUL character, the action limit) shows the groups page again
    with the reason and what was typed."""
    form = CreateGroupForm()
    if not form.validate():
        return _index_page(form)
    try:
        group = services.create_group(current_user, form.name.data, form.members.data)
    except DomainError as exc:
        return _index_page(form, exc)
    flash(_("You created %(name)s.", name=group.name), "success")
    return redirect(url_for("groups.detail", group_id=group.id), 303)


@bp.route("/groups/<int:group_id>/quit", methods=["POST"])
@login_required
@action_limit()
def quit_group(group_id: int):
    """Leave a group without JavaScript, then back to the groups page (303)."""
    group = services.quit_group(current_user, group_id)
    flash(_("You left %(name)s.", name=group.name), "success")
    return redirect(url_for("groups.index"), 303)


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@login_required
@action_limit()
def add_members(group_id: int):
    """Add friends to a group without JavaScript, then back to its page (303), where a
    refusal is shown."""
    form = AddMembersForm()
    try:
        added = services.add_members(current_user, group_id, form.members.data if form.validate() else [])
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(ngettext("%(num)d friend added.", "%(num)d friends added.", len(added)), "success")
    return redirect(url_for("groups.detail", group_id=group_id), 303)


@bp.route("/groups/<int:group_id>/members/<int:user_id>/remove", methods=["POST"])
@login_required
@action_limit()
def remove_member(group_id: int, user_id: int):
    """The owner removes a member without JavaScript, then back to the group's page (303)."""
    services.remove_member(current_user, group_id, user_id)
    flash(_("The member was removed."), "success")
    return redirect(url_for("groups.detail", group_id=group_id), 303)
