"""Muting a conversation ("do not disturb"), per person and across their devices: a muted
conversation's messages leave the total unread count (the navigation's badge, the tab's
title) and raise no browser notification, but its own unread count still shows, greyed, on
its row, and a mention of the person still counts: the "[@you]" mark, the "@N" badge of
conversations that mention them, and the mention's notification stay as they were."""
from sqlalchemy import select

from blueprints.chat.senders import not_in_conversation
from extensions import db
from models import Conversation, Membership, User
from realtime import events
from realtime.eventlog import send_event_on_commit


def set_muted(user: User, conversation_id: int, muted: bool) -> dict:
    """Mute (`muted` True) or unmute conversation `conversation_id` for `user`, on their
    current stay (a later stay, after leaving and rejoining a group, starts unmuted). Records
    conversation.mute_changed for `user`'s devices only, when it changes anything. Returns
    {"conversation_id", "muted"}. Raises NotFound when `user` is not a current member of it
    (or it was dissolved)."""
    stay = db.session.scalar(
        select(Membership).join(Conversation, Conversation.id == Membership.conversation_id)
        .where(Membership.conversation_id == conversation_id, Membership.user_id == user.id,
               Membership.left_at.is_(None), Conversation.dissolved_at.is_(None)).limit(1))
    if stay is None:
        raise not_in_conversation()
    if stay.muted != muted:
        stay.muted = muted
        send_event_on_commit(events.conversation_mute_changed(user.id, conversation_id, muted))
        db.session.commit()
    return {"conversation_id": conversation_id, "muted": muted}
