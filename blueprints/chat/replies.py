"""Replies: which original a new message may quote, and the quote it carries (payloads.quote_json).

A reply names its original by id (`reply_to`). The original must be a message of the same
conversation that the sender can see there (within one of their stays, as history shows it),
and not recalled (as in WeChat or Slack, a recalled message cannot be quoted). A reply whose
original is recalled later keeps its quote, shown as recalled. The quote is part of the
reply: whoever sees the reply sees it, including a member who joined after the original."""
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, or_, select

from blueprints.chat.payloads import quote_json
from core.errors import Conflict, NotFound
from extensions import db
from models import Attachment, Membership, Message, User

# The original with its sender and attachment's name, if it is in the conversation and falls
# within one of the sender's stays there (changes.within_stays, in SQL): one query by primary
# key, the stays found by the (user_id, conversation_id) index. Built once: one cache key.
_ORIGINAL = (select(Message.id, Message.kind, Message.body, Message.recalled_at, Attachment.name, User)
             .outerjoin(Attachment, Attachment.message_id == Message.id)
             .outerjoin(User, User.id == Message.sender_id)
             .where(Message.id == bindparam("message_id"),
                    Message.conversation_id == bindparam("conversation_id"),
                    exists().where(Membership.user_id == bindparam("user_id"),
                                   Membership.conversation_id == Message.conversation_id,
                                   func.coalesce(Membership.joined_event_id, 0) <= func.coalesce(Message.event_id, 0),
                                   or_(Membership.left_event_id.is_(None),
                                       func.coalesce(Message.event_id, 0) <= Membership.left_event_id))))


def quote_for_reply(sender_id: int, conversation_id: int, reply_to: int) -> dict:
    """The quote (payloads.quote_json) that a reply from `sender_id` in `conversation_id` to
    message `reply_to` carries. Read only (one query); the caller still checks that the
    sender may send there.

    Raises, beside field "reply_to": NotFound (404) when `reply_to` is not a message of this
    conversation that the sender can see (one answer for missing, elsewhere and invisible,
    so it tells nothing of messages they cannot see); Conflict (409) when it was recalled.
    """
    row = db.session.execute(_ORIGINAL, {"message_id": reply_to, "conversation_id": conversation_id,
                                         "user_id": sender_id}).first()
    if row is None:
        raise NotFound(_("The message you are replying to is not in this conversation, or you cannot see it."),
                       "reply_to")
    original_id, kind, body, recalled_at, file_name, original_sender = row
    if recalled_at is not None:
        raise Conflict(_("That message was recalled, so it can no longer be replied to."), "reply_to")
    return quote_json(original_id, original_sender, kind, body, file_name, False)
