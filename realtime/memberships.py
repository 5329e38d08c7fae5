"""A worker's view of its people's memberships, as stays with event-id ranges, kept in event
order by the hub's listener (docs/delivery.md, "Fan-out").

A person's stays are loaded from the database when their first stream here opens and
installed with `install`; from then on the membership events flowing through the ordered
listener update them (which types start or end a stay, and who: the rules below, over
realtime/events.py's types), so permissions change exactly at the event that changed them. Only people with a
stream here (or within their offline grace) are kept.
"""
from collections import defaultdict, deque

from realtime.events import (FRIEND_REQUEST_ACCEPTED, GROUP_CREATED, GROUP_DISSOLVED, GROUP_MEMBER_ADDED,
                             GROUP_MEMBER_JOINED, GROUP_MEMBER_LEFT, GROUP_MEMBER_REMOVED)

RECENT_LIMIT = 10_000  # membership events remembered, to bring a newly loaded view up to date


# -- membership rules (the hub keeps stays by them: docs/delivery.md, "Fan-out") ---------------
# Which types start or end a stay in a conversation (the services stamp the Membership rows
# with the same events), and where in the data the people are.
def _accepted_starts(event: dict) -> list[tuple[int, int, int]]:
    # Two new friends share a direct conversation from its very start (joined at 0).
    data = event["data"]
    request = data["request"]
    return [(request["sender"]["id"], data["conversation_id"], 0),
            (request["receiver"]["id"], data["conversation_id"], 0)]


def _members_start(event: dict) -> list[tuple[int, int, int]]:
    return [(person["id"], event["conversation_id"], event["id"]) for person in event["data"]["members"]]


def _member_starts(event: dict) -> list[tuple[int, int, int]]:
    return [(event["data"]["member"]["id"], event["conversation_id"], event["id"])]


_STARTS = {FRIEND_REQUEST_ACCEPTED: _accepted_starts, GROUP_CREATED: _members_start,
           GROUP_MEMBER_ADDED: _members_start, GROUP_MEMBER_JOINED: _member_starts}
_ENDS_ONE = {GROUP_MEMBER_LEFT, GROUP_MEMBER_REMOVED}  # data["user_id"] leaves
_ENDS_ALL = {GROUP_DISSOLVED}  # every member leaves
MEMBERSHIP_TYPES = frozenset({*_STARTS, *_ENDS_ONE, *_ENDS_ALL})


def stays_started(event: dict) -> list[tuple[int, int, int]]:
    """The stays `event` (a wire dict) starts: [(user id, conversation id, joined event id)]."""
    starts = _STARTS.get(event["type"])
    return starts(event) if starts is not None else []


def stays_ended(event: dict) -> list[int] | None:
    """The people whose stay in event["conversation_id"] ends with `event` (a wire dict):
    [] for most types, None for everyone in it (group.dissolved)."""
    if event["type"] in _ENDS_ONE:
        return [event["data"]["user_id"]]
    if event["type"] in _ENDS_ALL:
        return None
    return []


class Memberships:
    """Stays by person ({conversation id: [[joined event id, left event id or None], ...]}),
    the people kept here by conversation, and the latest membership events."""

    def __init__(self):
        self._stays: dict[int, dict[int, list[list]]] = {}  # user -> conversation -> [[joined, left]]
        self._users: defaultdict[int, set[int]] = defaultdict(set)  # conversation -> users kept here
        self._recent: deque[dict] = deque(maxlen=RECENT_LIMIT)

    def knows(self, user_id: int) -> bool:
        """True when `user_id`'s stays are installed (and kept current)."""
        return user_id in self._stays

    def install(self, user_id: int, stays: dict[int, list[list]], loaded_after: int, last_id: int) -> bool:
        """Install `user_id`'s `stays` (realtime.store.load_stays), read from the database
        after the listener had handled every event up to `loaded_after`; `last_id` is the
        listener's last id now. Membership events handled since are applied again (they are
        idempotent). False when they are no longer all remembered: load again."""
        if last_id > loaded_after and (not self._recent or self._recent[0]["id"] > loaded_after + 1) \
                and len(self._recent) == RECENT_LIMIT:
            return False
        self._stays[user_id] = stays
        for conversation_id in stays:
            self._users[conversation_id].add(user_id)
        for event in self._recent:
            if event["id"] > loaded_after:
                self._start(event, only=user_id)
                self._end(event, only=user_id)
        return True

    def forget(self, user_id: int) -> None:
        """Drop the stays of a person with no stream here any more."""
        for conversation_id in self._stays.pop(user_id, {}):
            users = self._users.get(conversation_id)
            if users is not None:
                users.discard(user_id)
                if not users:
                    del self._users[conversation_id]

    # -- reading ------------------------------------------------------------------------------
    def member_at(self, user_id: int, conversation_id: int, event_id: int) -> bool:
        """True when one of `user_id`'s stays in `conversation_id` covers event `event_id`."""
        for joined, left in self._stays.get(user_id, {}).get(conversation_id, ()):
            if (joined or 0) <= event_id and (left is None or event_id <= left):
                return True
        return False

    def audience(self, conversation_id: int, event_id: int) -> list[int]:
        """The people kept here who were members of `conversation_id` at event `event_id`."""
        return [uid for uid in self._users.get(conversation_id, ())
                if self.member_at(uid, conversation_id, event_id)]

    def current_members(self, conversation_id: int) -> list[int]:
        """The people kept here who are members of `conversation_id` now."""
        return [uid for uid in self._users.get(conversation_id, ())
                if any(left is None for _joined, left in self._stays.get(uid, {}).get(conversation_id, ()))]

    def open_conversations(self, user_id: int) -> list[int]:
        """The conversations `user_id` is a member of now (as far as this view knows)."""
        return [cid for cid, spans in self._stays.get(user_id, {}).items()
                if any(left is None for _joined, left in spans)]

    # -- applying events, in id order ---------------------------------------------------------
    def apply_starts(self, event: dict) -> None:
        """Before `event` (a wire dict of one of MEMBERSHIP_TYPES) is
        delivered: remember it, and start the stays it starts, so the newcomers receive it."""
        self._recent.append(event)
        self._start(event)

    def apply_ends(self, event: dict) -> None:
        """After `event` (a wire dict of one of MEMBERSHIP_TYPES) is
        delivered: end the stays it ends, so those leaving still receive it and nothing after."""
        self._end(event)

    def _start(self, event: dict, only: int | None = None) -> None:
        for user_id, conversation_id, joined in stays_started(event):
            if only is None or user_id == only:
                self._add_stay(user_id, conversation_id, joined)

    def _add_stay(self, user_id: int, conversation_id: int, event_id: int) -> None:
        stays = self._stays.get(user_id)
        if stays is None:  # no stream of theirs here: nothing to keep
            return
        spans = stays.setdefault(conversation_id, [])
        if not any(joined == event_id for joined, _left in spans):
            spans.append([event_id, None])
        self._users[conversation_id].add(user_id)

    def _end(self, event: dict, only: int | None = None) -> None:
        conversation_id, event_id = event["conversation_id"], event["id"]
        ended = stays_ended(event)  # None: everyone's
        leaving = ended if ended is not None else list(self._users.get(conversation_id, ()))
        if only is not None:
            leaving = [only] if only in leaving or ended is None else []
        for user_id in leaving:
            for span in self._stays.get(user_id, {}).get(conversation_id, ()):
                if span[1] is None and span[0] <= event_id:
                    span[1] = event_id


__all__ = ["Memberships", "RECENT_LIMIT"]
