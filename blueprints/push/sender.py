"""Sending push notifications without slowing the send path.

After COMMIT, the commit pipeline hands this process's queue the message.created events just
committed (`queue_committed`: a filter and an append, core/hooks.py). One sender thread per
process (core/outbox.py's ProcessOutbox, its own: a greenlet under gevent's patching)
takes them in order and, per message, decides from memory whom it may concern: a direct
conversation's other person; in a group only the people the message mentions (a group message
that mentions nobody costs nothing more; a conversation's kind is read once per process).
Only then does it read their subscriptions, in one query that also leaves out the sender,
people who muted the conversation (a direct one; a mention still reaches them), people who
blocked or were blocked by the sender and disabled accounts, and posts each notification with
pywebpush (RFC 8291 encryption, a VAPID signature, TTL, Urgency: high). A push service's 404
or 410 means the subscription is gone, and a key that is no P-256 point can never be
encrypted for: either row is deleted; so is one whose push service could not be reached
(connection, DNS, timeout) WEB_PUSH_MAX_FAILURES sends in a row, so that a dead endpoint
cannot hold this one sender for a timeout per message for ever. A subscription whose login
session has expired (but was not yet deleted) is skipped. Failures are logged, never raised. Only the process
that committed the message sends, so no notification is sent twice however many workers run.
"""
import json
import logging
import os
from collections import OrderedDict
from functools import partial

import requests
from flask import Flask, current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, delete, exists, or_, select, update

from blueprints.chat.senders import direct_peer
from blueprints.push.keys import vapid
from blueprints.push.notices import notice
from blueprints.push.services import check_endpoint
from core.errors import DomainError
from core.outbox import Job, ProcessOutbox
from core.timeutil import utcnow
from extensions import db
from models import Block, Conversation, Membership, PushSubscription, User, UserSession
from realtime.events import MESSAGE_CREATED

log = logging.getLogger("parley.push")

KINDS = "parley.push.kinds"  # app.extensions key: {conversation id: its direct_key, None for a group}
KINDS_KEPT = 10_000  # conversations whose kind each process remembers (a kind never changes)
GONE = (404, 410)  # a push service's answer for a subscription that no longer exists (RFC 8030 §7.3)


def _deliver_all(app: Flask, events: list) -> None:
    # One job of the push outbox: the notifications of one commit's messages, in order.
    with app.app_context():
        try:
            for event in events:
                deliver(event.conversation_id, event.data["message"], _http())
        finally:
            db.session.remove()


_pushes = ProcessOutbox("parley-push", log)
_sessions: dict[int, requests.Session] = {}  # process id -> the push thread's HTTP session


def _http() -> requests.Session:
    # Only this process's push thread posts, so one session (keep-alive to each push service).
    session = _sessions.get(os.getpid())
    if session is None:
        session = _sessions[os.getpid()] = requests.Session()
        session.max_redirects = 0  # a push service never redirects; following one would leave the allowed hosts
    return session


def flush(timeout: float = 10.0) -> bool:
    """Wait up to `timeout` seconds for this process's queued notifications; True when none
    is left (at once when nothing was queued)."""
    return _pushes.flush(timeout)


def queue_committed(events: list, _control_messages: list) -> None:
    """The commit pipeline's step (core/hooks.py): hand the message.created events of a
    commit that may concern someone to this process's sender. No query, no I/O; nothing
    when there are none (a group's message mentioning nobody, once the group is known)."""
    if not current_app:
        return
    kinds = current_app.extensions.get(KINDS)
    created = [event for event in events if event.type == MESSAGE_CREATED and _may_notify(event, kinds)]
    if created:
        _pushes.put(Job(run=partial(_deliver_all, current_app._get_current_object(), created),
                        label=f"push notifications of {len(created)} message(s)", attempts=1))


def _may_notify(event, kinds: dict | None) -> bool:
    # Mentions notify in any conversation; otherwise only a direct conversation's messages do,
    # and a conversation this process has not looked up yet may be one.
    message = event.data["message"]
    if message.get("mentions") or message.get("mention_all"):
        return True
    return kinds is None or kinds.get(event.conversation_id, "") is not None


def _direct_key(conversation_id: int) -> str | None:
    """The direct_key of a direct conversation, None for a group: remembered per app (a
    conversation's kind never changes), so a group's messages cost one query per process."""
    kinds: OrderedDict = current_app.extensions.setdefault(KINDS, OrderedDict())
    if conversation_id not in kinds:
        row = db.session.execute(select(Conversation.kind, Conversation.direct_key)
                                 .where(Conversation.id == conversation_id)).first()
        kinds[conversation_id] = row.direct_key if row is not None and row.kind == "direct" else None
        if len(kinds) > KINDS_KEPT:
            kinds.popitem(last=False)
    return kinds[conversation_id]


def _recipients(conversation_id: int, sender_id: int | None, user_ids: set[int] | None):
    """Rows (id, endpoint, p256dh, auth, failures of a subscription; its locale, its person's
    locale, previews and muted; the conversation's name) of the current members of the
    conversation among `user_ids` (None: every member) other than the sender, neither
    blocking nor blocked by the sender, with an active account and, for a subscription made
    by a browser session, that session not expired. One query; plain rows, which a commit (a
    subscription deleted meanwhile) leaves as they were."""
    blocked = exists().where(or_(and_(Block.blocker_id == sender_id, Block.blocked_id == User.id),
                                 and_(Block.blocker_id == User.id, Block.blocked_id == sender_id)))
    query = (select(PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth,
                    PushSubscription.failures, PushSubscription.locale, User.locale.label("user_locale"), User.push_previews, Membership.muted,
                    Conversation.name)
             .join(User, User.id == PushSubscription.user_id)
             .join(Membership, and_(Membership.user_id == User.id, Membership.conversation_id == conversation_id,
                                    Membership.left_at.is_(None)))
             .join(Conversation, Conversation.id == conversation_id)
             .outerjoin(UserSession, UserSession.id == PushSubscription.user_session_id)
             .where(User.disabled_at.is_(None), Conversation.dissolved_at.is_(None),
                    or_(PushSubscription.user_session_id.is_(None), UserSession.expires_at > utcnow())))
    if sender_id is not None:
        query = query.where(User.id != sender_id, ~blocked)
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    return db.session.execute(query).all()


def deliver(conversation_id: int, message: dict, session: requests.Session) -> int:
    """Notify whom `message` (a message JSON, just committed) concerns (see the module
    docstring); returns how many notifications the push services accepted."""
    sender_id = (message.get("sender") or {}).get("id")
    direct_key = _direct_key(conversation_id)
    if direct_key is not None:
        if sender_id is None:
            return 0
        user_ids = {direct_peer(direct_key, sender_id)}
    else:
        user_ids = {person["id"] for person in message.get("mentions") or ()}
        if not (user_ids or message.get("mention_all")):
            return 0  # a group message that mentions nobody: no query at all
        if message.get("mention_all"):
            user_ids = None
    url = current_app.url_map.bind("", script_name=current_app.config["APPLICATION_ROOT"]).build(
        "chat.conversation", {"conversation_id": conversation_id, "message": message["id"]})
    sent = 0
    for row in _recipients(conversation_id, sender_id, user_ids):
        mentioned = direct_key is None  # a group's message reaches only those it mentions
        if row.muted and not mentioned:
            continue
        payload = notice(message, url, None if direct_key else row.name, mentioned, row.push_previews,
                         row.user_locale or row.locale)
        sent += send(row, payload, session)
    return sent


def send(subscription, payload: dict, session: requests.Session) -> int:
    """Post `payload` (JSON) to `subscription` (a row with id, endpoint, p256dh, auth,
    failures), encrypted for it and signed with the site's VAPID key; 1 when the push service
    accepted it, else 0 (a 404/410, or a key that is no P-256 point, deletes the
    subscription; WEB_PUSH_MAX_FAILURES transport failures in a row do too; anything else is
    logged)."""
    config = current_app.config
    try:
        check_endpoint(subscription.endpoint)  # WEB_PUSH_HOSTS may have changed since it was stored
    except DomainError:
        log.warning("push subscription %d names a push service no longer allowed: skipped", subscription.id)
        return 0
    try:
        webpush({"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=json.dumps(payload, ensure_ascii=False), vapid_private_key=vapid(),
                # A new dict each time: pywebpush writes the endpoint's origin into it as "aud".
                vapid_claims={"sub": config["VAPID_SUBJECT"]}, ttl=config["WEB_PUSH_TTL"],
                timeout=config["WEB_PUSH_TIMEOUT"], headers={"Urgency": "high"}, requests_session=session)
        if subscription.failures:
            _set_failures(subscription.id, 0)
        return 1
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in GONE:
            _forget(subscription, f"is gone ({status})")
        else:
            log.warning("push to subscription %d failed: %s", subscription.id, status or exc.__class__.__name__)
    except requests.RequestException as exc:
        log.warning("push to subscription %d failed: %s", subscription.id, exc.__class__.__name__)
        if subscription.failures + 1 >= config["WEB_PUSH_MAX_FAILURES"]:
            _forget(subscription, f"was unreachable {subscription.failures + 1} times in a row")
        else:
            _set_failures(subscription.id, subscription.failures + 1)
    except ValueError:  # its p256dh is no P-256 point: nothing can ever be encrypted for it
        _forget(subscription, "has an unusable key")
    return 0


def _set_failures(subscription_id: int, failures: int) -> None:
    db.session.execute(update(PushSubscription).where(PushSubscription.id == subscription_id)
                       .values(failures=failures))
    db.session.commit()


def _forget(subscription, why: str) -> None:
    db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription.id))
    db.session.commit()
    log.info("push subscription %d %s: deleted", subscription.id, why)

