"""A group as JSON for the API, and the link that invites people to it."""
from flask import url_for

from blueprints.groups import services
from core.people import user_brief


def invite_url(group) -> str | None:
    """The absolute join link of `group`'s invite code, or None when it has none (needs a
    request context, or SERVER_NAME, to build an absolute URL)."""
    return url_for("groups.join", code=group.invite_code, _external=True) if group.invite_code else None


def group_detail(group, me) -> dict:
    """A group with its members (each with joined_at and is_owner); the owner `me` also
    sees the invite link."""
    detail = services.group_brief(group)
    detail["members"] = [
        {**user_brief(user), "joined_at": stay.joined_at.isoformat(), "is_owner": user.id == group.owner_id}
        for stay, user in services.members(group)
    ]
    detail["invite_url"] = invite_url(group) if group.owner_id == me.id else None
    return detail
