"""Races made to happen: an action started while another transaction holds its change open."""
import threading

from sqlalchemy import update

from core.timeutil import utcnow
from extensions import db
from models import Message


def during_open_recall(app, message_id: int, action):
    """Run `action()` (a request, say) in a thread while a recall of message `message_id` is
    written on a connection of its own and not yet committed (its row lock, on SQLite the
    write lock, held); commit the recall after half a second, and return what `action`
    returned. An action that waits for the lock meets the committed recall; one that has not
    started by then meets it too."""
    with app.app_context():
        holder = db.engine.connect()
    recalling = holder.begin()
    messages = Message.__table__
    holder.execute(update(messages).where(messages.c.id == message_id).values(recalled_at=utcnow(), body=""))
    answer = {}
    acting = threading.Thread(target=lambda: answer.update(result=action()))
    acting.start()
    acting.join(0.5)
    recalling.commit()
    holder.close()
    acting.join(20)
    return answer["result"]
