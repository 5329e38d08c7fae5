"""Storing text messages: the sends that arrive together commit together (group commit).

A send whose text has passed its checks (services.send_message) becomes a `TextSend` and
waits in its worker's `SendBatches`. The first of those waiting becomes the leader: it lets
the other requests that are ready to run reach the queue too, takes every send queued, and
stores them all in one transaction (docs/delivery.md, "Ids", block allocation):

    UPDATE conversation SET owner_id = owner_id     (each conversation once, in id order: a lock)
    SELECT ... membership JOIN conversation         (may each sender send there? senders.py: one
                                                     query, one per conversation for a large batch)
    SELECT ... friendship                           (only when a direct conversation is among them)
    UPDATE conversation ... (the activity time of each conversation written to, in id order)
    UPDATE event_counter SET last_id = last_id + n RETURNING last_id
    INSERT INTO message ... RETURNING id, event_id  (one statement, n rows; on PostgreSQL it
                                                     also writes their search index rows, in a
                                                     CTE: search/index.with_index_rows)
    INSERT INTO message_search ...                  (SQLite: their search index rows)
    INSERT INTO mention ...                         (only when a send mentions someone: one
                                                     statement for the batch; mentions.py)
    INSERT INTO event ...                           (one statement, n rows)
    COMMIT, then one broker message with the n events

and wakes the others; whoever arrived meanwhile is the next batch. A send its sender may
not make (not a current member, a dissolved group, a direct conversation with someone no
longer a friend) is left out and answered with its refusal, in its own request's language.
The conversations are locked first, as a group's member changes lock them
(groups/services._lock_members; on SQLite this takes the write lock), so the check and the
writes see the same members: no message is stored after its sender's leave event. Ending a
friendship takes no such lock, so a direct message and an unfriending that race may still
commit in either order. Checking in the writing transaction costs a send no connection,
transaction or (on PostgreSQL) round trips of its own. Every POST is answered
after the COMMIT that stored its own message, so a 201 still means "stored". Per send this
spares a transaction, a counter update and a broker message, and on PostgreSQL the event
counter's row lock is held once per batch instead of once per send, which was the ceiling on
sends per second.

A batch with a client id already stored (a retried send, or two twins in one batch) fails
the unique index as a whole; it is rolled back and its sends are stored one at a time, each
finding its twin as before. A batch that fails otherwise fails each of its sends' requests.
"""
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.chat import mentions, senders
from blueprints.chat.mentions import NO_MENTIONS, Mentions
from blueprints.chat.payloads import message_jsons
from core.errors import DomainError
from core.prepared import Prepared, PreparedInsert
from core.timeutil import utcnow
from extensions import db
from models import Conversation, Message
from realtime import events
from realtime.eventlog import take_event_ids, write_events
from search import index as search_index

EXTENSION_KEY = "parley.send_batches"
MAX_BATCH = 500  # sends in one transaction at most

_MESSAGES, _CONVERSATIONS = Message.__table__, Conversation.__table__
# Built once with bound parameters, so their cache keys are computed once.
TOUCH_CONVERSATION = (update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
          .values(last_activity_at=bindparam("now")))
# The batch's own statements run on the DBAPI cursor (core/prepared.py): SQLAlchemy's execute
# cost a send more than SQLite's work did.
_TOUCH = Prepared(lambda: TOUCH_CONVERSATION)
# Each row's event id comes back with its id: that is how ids are matched to sends (neither
# database promises RETURNING's order).
_TEXT_COLUMNS = ("conversation_id", "sender_id", "kind", "body", "client_id", "event_id", "created_at", "reply_to_id",
                 "mention_all", "forwarded")
_INSERT_TEXTS = PreparedInsert(_MESSAGES, _TEXT_COLUMNS, returning=("id", "event_id"))
# PostgreSQL: the messages' search index rows in the same statement (one round trip fewer).
_INSERT_INDEXED_TEXTS = PreparedInsert(_MESSAGES, _TEXT_COLUMNS, returning=("id", "event_id"),
                                       wrap=search_index.with_index_rows)


@dataclass
class Sent:
    """The outcome of a send: whether this call stored the message (False: a retried client
    id found the stored one) and the message as delivered (its `message_json`)."""

    created: bool
    message: dict


def sent_with_client_id(sender_id: int, client_id: str) -> Message | None:
    """The message `sender_id` already sent with `client_id`, if any."""
    return db.session.scalar(select(Message).where(Message.sender_id == sender_id,
                                                   Message.client_id == client_id))


def already_sent(sender_id: int, client_id: str | None) -> Sent | None:
    """The send `sender_id` already stored with `client_id`, as a Sent with created False,
    or None (always None without a client id)."""
    existing = sent_with_client_id(sender_id, client_id) if client_id else None
    return Sent(False, message_jsons([existing])[0]) if existing is not None else None


@dataclass(eq=False)
class TextSend:
    """One text send waiting to be stored: its sender's id, its conversation, its message as
    delivered (`new_text_json`, "id" and "created_at" still None) and whom it mentions
    (mentions.checked_mentions: a `Mention` row for each person reached). The writer sets `sent`,
    `error` (storing failed) or `refusal` (the sender may not send there: it makes the error
    in the send's own request), then `done`."""

    sender_id: int
    conversation_id: int
    payload: dict
    mentions: Mentions = NO_MENTIONS
    sent: Sent | None = None
    error: BaseException | None = None
    refusal: Callable[[], DomainError] | None = None
    done: bool = field(default=False)

    @property
    def client_id(self) -> str | None:
        return self.payload["client_id"]

    @property
    def reply_to_id(self) -> int | None:
        """The id of the original this send replies to (its quote's), or None."""
        quote = self.payload["reply_to"]
        return quote["id"] if quote else None


class SendBatches:
    """A worker's queue of text sends, stored by leader/follower group commit (see the module
    docstring). Works the same with gevent's greenlets (gunicorn) and real threads (tests)."""

    def __init__(self, max_batch: int = MAX_BATCH):
        self.max_batch = max_batch
        self._changed = threading.Condition()
        self._queue: list[TextSend] = []
        self._leading = False
        self.waiting = 0  # sends given to `store` and not yet stored (or failed)
        self.batches = 0  # transactions committed by leaders: read by tests and the benchmark

    def store(self, send: TextSend) -> Sent:
        """Store `send` with the others waiting and return once its own transaction has
        committed; raises its refusal (NotFound, Forbidden: the sender may not send there,
        translated for this request) or what storing it raised."""
        with self._changed:
            self._queue.append(send)
            self.waiting += 1
        while True:
            with self._changed:
                while self._leading and not send.done:
                    self._changed.wait()
                if send.done:
                    break
                self._leading = True
            self._lead()  # its batch may not reach `send` when more than max_batch wait
            if not send.done:
                # This request committed others' sends, not its own: what it may say about
                # its own change (core/error_pages.note_commit) must not count that.
                g.pop("parley_committed", None)
        if send.refusal is not None:
            raise send.refusal()
        if send.error is not None:
            # One error may answer many requests (its type decides the answer: a pool timeout is
            # a 503); each raise starts its traceback afresh rather than growing the shared one.
            raise send.error.with_traceback(None)
        return send.sent

    def _lead(self) -> None:
        batch: list[TextSend] = []
        try:
            # Let the requests that are ready to run reach the queue before taking it (a
            # greenlet switch under gevent; under threads, nothing to wait for).
            time.sleep(0)
            with self._changed:
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            try:
                if store_batch(batch):
                    self.batches += 1
            except IntegrityError:
                db.session.rollback()
                for send in batch:  # a twin among them: each alone, finding its twin
                    _settle(send, store_alone)
            except Exception as exc:  # noqa: BLE001 - each request answers for its own send
                for send in batch:
                    send.error = exc
                db.session.rollback()
        finally:
            with self._changed:
                for send in batch:
                    if send.sent is None and send.error is None and send.refusal is None:  # cut short
                        send.error = RuntimeError("the send was not stored")
                    send.done = True
                self.waiting -= len(batch)
                self._leading = False
                self._changed.notify_all()


def _settle(send: TextSend, store) -> None:
    try:
        send.sent = store(send)
    except Exception as exc:  # noqa: BLE001 - raised again in the send's own request
        send.error = exc
        db.session.rollback()  # an aborted transaction must not fail the sends after it


def store_batch(batch: list[TextSend]) -> bool:
    """Store every send of `batch` that its sender may make in one transaction and commit
    (see the module docstring); sets each send's `sent`, or its `refusal`. Returns whether it
    committed (False: every send was refused). Raises IntegrityError (rolled back by the
    caller) when a client id is already stored."""
    now = utcnow()
    created_at = now.isoformat()
    session = db.session()
    connection = session.connection()
    senders.lock_conversations(connection, {send.conversation_id for send in batch})
    batch = _allowed(connection, batch)
    if not batch:
        session.rollback()
        return False
    touched = sorted({send.conversation_id for send in batch})  # one lock order for every writer
    _TOUCH.run_many(connection, [{"conversation_id": conversation_id, "now": now} for conversation_id in touched])
    first = take_event_ids(len(batch), connection)
    rows = [{"conversation_id": send.conversation_id, "sender_id": send.sender_id, "kind": "text",
             "body": send.payload["body"], "client_id": send.client_id, "event_id": first + n, "created_at": now,
             "reply_to_id": send.reply_to_id, "mention_all": send.payload["mention_all"],
             "forwarded": False}
            for n, send in enumerate(batch)]
    if connection.dialect.name == "postgresql":
        inserted = _INSERT_INDEXED_TEXTS.run(connection, rows, search_index.index_params(
            (first + n, send.conversation_id, (send.payload["body"],)) for n, send in enumerate(batch)))
    else:
        inserted = _INSERT_TEXTS.run(connection, rows)
    message_ids = {event_id: message_id for message_id, event_id in inserted}
    for n, send in enumerate(batch):
        send.payload["id"], send.payload["created_at"] = message_ids[first + n], created_at
    if connection.dialect.name != "postgresql":
        search_index.write(connection, search_index.rows_for(
            (send.payload["id"], send.conversation_id, (send.payload["body"],)) for send in batch))
    mentions.write(connection, [row for send in batch
                                for row in send.mentions.rows(send.payload["id"], send.conversation_id, now)])
    write_events([(first + n, events.message_created(send.conversation_id, send.payload))
                  for n, send in enumerate(batch)], now, connection)
    session.commit()
    for send in batch:
        send.sent = Sent(True, send.payload)
    return True


def _allowed(connection, batch: list[TextSend]) -> list[TextSend]:
    """The sends of `batch` whose sender may send in their conversation now (senders.py);
    the others get their `refusal`."""
    refusals = senders.refusals(connection, {(send.conversation_id, send.sender_id) for send in batch})
    allowed = []
    for send in batch:
        # Set either way: an earlier try of this batch may have refused a send allowed now.
        send.refusal = refusals.get((send.conversation_id, send.sender_id))
        if send.refusal is None:
            allowed.append(send)
    return allowed


def store_alone(send: TextSend) -> Sent | None:
    """Store `send` in a transaction of its own; a client id already stored returns the
    stored message (created False) instead. None when the send is refused (`refusal` set)."""
    try:
        store_batch([send])
    except IntegrityError:
        return stored_twin(send.sender_id, send.client_id)
    return send.sent


def stored_twin(sender_id: int, client_id: str | None) -> Sent:
    """Call while handling the IntegrityError of a message insert: roll back, and return the
    message `sender_id` already stored with `client_id` (created False), or raise the error
    again when there is none (the unique index refused something else)."""
    db.session.rollback()
    stored = already_sent(sender_id, client_id)
    if stored is None:
        raise  # noqa: PLE0704 - the IntegrityError being handled by the caller
    return stored


def batches() -> SendBatches:
    """The current app's send queue (one per app in each worker)."""
    queue = current_app.extensions.get(EXTENSION_KEY)
    if queue is None:
        queue = current_app.extensions[EXTENSION_KEY] = SendBatches()
    return queue
