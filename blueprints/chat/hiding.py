"""Delete for me, as reads see it: a message a person hid (a `HiddenMessage` row) is left out
of their history, chat page, search and conversation list; everyone else still sees it, and
favorites keep their own copy. The action itself is message_actions.hide_message."""
from sqlalchemy import exists

from models import HiddenMessage, Message

# Search reads messages as `m` in raw SQL with the viewer as :viewer
# (blueprints/search/services.py): the same condition there.
NOT_HIDDEN_SQL = ("NOT EXISTS (SELECT 1 FROM hidden_message AS hm "
                  "WHERE hm.message_id = m.id AND hm.user_id = :viewer)")


def not_hidden(user_id: int):
    """The SQL condition: messages `user_id` has not hidden from their own view."""
    return ~exists().where(HiddenMessage.user_id == user_id, HiddenMessage.message_id == Message.id)
