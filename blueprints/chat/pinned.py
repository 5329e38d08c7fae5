"""A conversation's pinned messages as the chat page and the API show them, and who may pin
(the pin actions are blueprints/pins/services.py's)."""
from sqlalchemy import select

from blueprints.chat import services as chat
from blueprints.chat.payloads import quote_json
from core.people import user_brief
from extensions import db
from models import Attachment, Conversation, Message, Pin, User


def may_pin(user: User, conversation: Conversation) -> bool:
    """True when `user` (a current member) may pin and unpin messages in `conversation`: the
    owner of a group, either person of a direct conversation."""
    return conversation.kind == "direct" or conversation.owner_id == user.id


def conversation_pins(user: User, conversation_id: int) -> tuple[list[dict], bool]:
    """The pins of a conversation `user` may read (chat.readable_conversation: NotFound
    otherwise), newest pin first, as `pin_jsons` gives them, and whether `user` may pin
    there. Only pins of messages `user` can see: a member who joined a group after a message
    sees neither it nor its pin (the pin events reach its readers only, changes.to_its_readers)."""
    conversation, stays = chat.readable_conversation(user, conversation_id)
    pins = list(db.session.scalars(select(Pin).join(Message, Message.id == Pin.message_id)
                                   .where(Pin.conversation_id == conversation.id, chat.visible_in(stays))
                                   .order_by(Pin.id.desc())))
    return pin_jsons(pins), may_pin(user, conversation)


def pin_jsons(pins: list[Pin]) -> list[dict]:
    """Each pin as the API and events carry it: {"message_id", "pinned_by" (a user brief, or
    None for an account gone), "pinned_at" (ISO 8601), "message" (payloads.quote_json of the
    message: its sender, kind and one line)}. Three queries whatever the number of pins."""
    if not pins:
        return []
    rows = {row[0]: row for row in db.session.execute(
        select(Message.id, Message.sender_id, Message.kind, Message.body, Message.recalled_at, Attachment.name)
        .outerjoin(Attachment, Attachment.message_id == Message.id)
        .where(Message.id.in_({pin.message_id for pin in pins})))}
    ids = {pin.pinned_by_id for pin in pins if pin.pinned_by_id} | {row[1] for row in rows.values() if row[1]}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    items = []
    for pin in pins:
        _id, sender_id, kind, body, recalled_at, file_name = rows[pin.message_id]
        by = people.get(pin.pinned_by_id)
        items.append({"message_id": pin.message_id, "pinned_by": user_brief(by) if by else None,
                      "pinned_at": pin.pinned_at.isoformat(),
                      "message": quote_json(pin.message_id, people.get(sender_id), kind, body, file_name,
                                            recalled_at is not None)})
    return items
