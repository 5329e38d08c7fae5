"""/api/v1/groups: create, list, read, rename, members, invite link, quit, dissolve, join."""
from blueprints.groups import services
from blueprints.groups.payloads import group_detail, invite_url
from blueprints.groups.schemas import (GroupCreateSchema, GroupDetailSchema, GroupListSchema, GroupSchema,
                                       GroupUpdateSchema, InviteSchema, InviteUpdateSchema, JoinSchema,
                                       MembersAddSchema)
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit, group_rename_limit

bp = ApiBlueprint("api_groups", __name__, description="Group chats")


@bp.route("/groups")
@bp.response(200, GroupListSchema)
def list_groups():
    """Your groups, newest activity first."""
    return {"items": [{**services.group_brief(g), "member_count": n} for g, n in services.list_groups(me())]}


@bp.route("/groups", methods=["POST"])
@bp.arguments(GroupCreateSchema)
@bp.response(201, GroupDetailSchema)
@bp.errors(400, 403, 409, 429)
@action_limit()
def create_group(args):
    """Create a group you own, optionally with some of your friends."""
    group = services.create_group(me(), args["name"], args["member_ids"])
    return group_detail(group, me())


@bp.route("/groups/<int:group_id>")
@bp.response(200, GroupDetailSchema)
@bp.errors(404)
def get_group(group_id):
    """A group you are in, with its members."""
    return group_detail(services.get_group(me(), group_id), me())


@bp.route("/groups/<int:group_id>", methods=["PATCH"])
@bp.arguments(GroupUpdateSchema)
@bp.response(200, GroupSchema)
@bp.errors(400, 403, 404, 429)
@group_rename_limit()
def rename_group(args, group_id):
    """Rename a group you own."""
    return services.group_brief(services.rename_group(me(), group_id, args["name"]))


@bp.route("/groups/<int:group_id>", methods=["DELETE"])
@bp.response(204)
@bp.errors(403, 404, 429)
@action_limit()
def dissolve_group(group_id):
    """Dissolve a group you own: every member leaves."""
    services.dissolve_group(me(), group_id)


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@bp.arguments(MembersAddSchema)
@bp.response(200, GroupDetailSchema)
@bp.errors(400, 403, 404, 409, 429)
@action_limit()
def add_members(args, group_id):
    """Add some of your friends to a group you are in."""
    services.add_members(me(), group_id, args["user_ids"])
    return group_detail(services.get_group(me(), group_id), me())


@bp.route("/groups/<int:group_id>/members/<int:user_id>", methods=["DELETE"])
@bp.response(204)
@bp.errors(400, 403, 404, 429)
@action_limit()
def remove_member(group_id, user_id):
    """Remove a member from a group you own."""
    services.remove_member(me(), group_id, user_id)


@bp.route("/groups/<int:group_id>/quit", methods=["POST"])
@bp.response(204)
@bp.errors(404, 429)
@action_limit()
def quit_group(group_id):
    """Leave a group. An owner's group passes to the earliest member; the last one out dissolves it."""
    services.quit_group(me(), group_id)


@bp.route("/groups/<int:group_id>/invite", methods=["PUT"])
@bp.arguments(InviteUpdateSchema)
@bp.response(200, InviteSchema)
@bp.errors(403, 404, 429)
@action_limit()
def set_invite(args, group_id):
    """Create or reset (enabled: true) or turn off (enabled: false) a group's invite link."""
    services.set_invite(me(), group_id, args["enabled"])
    return {"invite_url": invite_url(services.get_group(me(), group_id))}


@bp.route("/groups/join", methods=["POST"])
@bp.arguments(JoinSchema)
@bp.response(200, GroupDetailSchema)
@bp.errors(404, 409, 429)
@action_limit()
def join_group(args):
    """Join a group with its invite code."""
    group = services.join_by_invite(me(), args["code"])
    return group_detail(group, me())
