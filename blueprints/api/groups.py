"""/api/v1/groups: create, list, read, rename, members, invite link, quit, dissolve, join."""
from flask import url_for
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from blueprints.api.schemas import (ErrorSchema, GroupCreateSchema, GroupDetailSchema, GroupListSchema,
                                    GroupSchema, GroupUpdateSchema, InviteSchema, InviteUpdateSchema,
                                    JoinSchema, MembersAddSchema)
from blueprints.friends.services import user_brief
from blueprints.groups import services

bp = Blueprint("api_groups", __name__, url_prefix="/api/v1", description="Group chats")


def _me():
    return current_user._get_current_object()


def invite_url(group) -> str | None:
    """The join link of `group`'s invite code, or None when it has none."""
    return url_for("groups.join", code=group.invite_code, _external=True) if group.invite_code else None


def group_detail(group, me) -> dict:
    """A group with its members; the owner also sees the invite link."""
    body = services.group_brief(group)
    body["members"] = [
        {**user_brief(user), "joined_at": stay.joined_at.isoformat(), "is_owner": user.id == group.owner_id}
        for stay, user in services.members(group)
    ]
    body["invite_url"] = invite_url(group) if group.owner_id == me.id else None
    return body


@bp.route("/groups")
@bp.response(200, GroupListSchema)
@login_required
def list_groups():
    """Your groups, newest activity first."""
    return {"items": [{**services.group_brief(g), "member_count": n} for g, n in services.list_groups(_me())]}


@bp.route("/groups", methods=["POST"])
@bp.arguments(GroupCreateSchema)
@bp.response(201, GroupDetailSchema)
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def create_group(args):
    """Create a group you own, optionally with some of your friends."""
    group = services.create_group(_me(), args["name"], args["member_ids"])
    return group_detail(group, _me())


@bp.route("/groups/<int:group_id>")
@bp.response(200, GroupDetailSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def get_group(group_id):
    """A group you are in, with its members."""
    return group_detail(services.get_group(_me(), group_id), _me())


@bp.route("/groups/<int:group_id>", methods=["PATCH"])
@bp.arguments(GroupUpdateSchema)
@bp.response(200, GroupSchema)
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def rename_group(args, group_id):
    """Rename a group you own."""
    return services.group_brief(services.rename_group(_me(), group_id, args["name"]))


@bp.route("/groups/<int:group_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def dissolve_group(group_id):
    """Dissolve a group you own: every member leaves."""
    services.dissolve_group(_me(), group_id)


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@bp.arguments(MembersAddSchema)
@bp.response(200, GroupDetailSchema)
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def add_members(args, group_id):
    """Add some of your friends to a group you are in."""
    services.add_members(_me(), group_id, args["user_ids"])
    return group_detail(services.get_group(_me(), group_id), _me())


@bp.route("/groups/<int:group_id>/members/<int:user_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def remove_member(group_id, user_id):
    """Remove a member from a group you own."""
    services.remove_member(_me(), group_id, user_id)


@bp.route("/groups/<int:group_id>/quit", methods=["POST"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def quit_group(group_id):
    """Leave a group. An owner's group passes to the earliest member; the last one out dissolves it."""
    services.quit_group(_me(), group_id)


@bp.route("/groups/<int:group_id>/invite", methods=["PUT"])
@bp.arguments(InviteUpdateSchema)
@bp.response(200, InviteSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def set_invite(args, group_id):
    """Create or reset (enabled: true) or turn off (enabled: false) a group's invite link."""
    services.set_invite(_me(), group_id, args["enabled"])
    return {"invite_url": invite_url(services.get_group(_me(), group_id))}


@bp.route("/groups/join", methods=["POST"])
@bp.arguments(JoinSchema)
@bp.response(200, GroupDetailSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def join_group(args):
    """Join a group with its invite code."""
    group = services.join_by_invite(_me(), args["code"])
    return group_detail(group, _me())
