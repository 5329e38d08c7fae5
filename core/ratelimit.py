"""The rate limiter: Flask-Limiter, with its in-memory fallback taken by every request that
meets a failing storage, not only the first; and the per-person limits the areas' views share.

Flask-Limiter 4 switches to its fallback when a check fails on the storage (Redis) and the
fallback is not yet in use; a request whose check was already waiting on Redis when the first
one switched raises the storage's error instead (a 500: issue 12.2). Here such a request is
checked again, against the fallback the first one switched to.

Every action that records an event or sends mail has a limit (issue 12.9): a Flask-Limiter
decorator on its views, innermost, so it is checked after the login (401), the CSRF token
(400) and the arguments (422), and before the service: a refused call changes nothing. Each
budget is counted per logged-in person in a named scope, one budget for every view that
names the same scope (Flask-Limiter's shared limits), with its size read from the app's
config at each request (Flask-Limiter notation, e.g. "10 per hour"):

    scope                setting                     views
    send                 MESSAGE_RATE_LIMIT          text messages and attachments (chat/limits.py)
    typing               TYPING_LIMIT                typing notices (chat/limits.py)
    friend-request       FRIEND_REQUEST_LIMIT        sending or renewing a friend request
    friend-request-pair  FRIEND_REQUEST_PAIR_LIMIT   the same, per person asked
    profile              PROFILE_CHANGE_LIMIT        nickname and avatar changes
    group-rename         GROUP_RENAME_LIMIT          group renames
    action               ACTION_LIMIT                every other action that records an event
    read                 ACTION_LIMIT                read positions, which pages move by themselves

Every try counts, except for friend requests, where only requests sent count (a mistyped
name costs nothing, and a refusal by the pair's budget spends none of the person's). Pages
that mail a code are limited per client address instead (CODE_LIMIT_PER_ADDRESS, counting
codes sent; auth and profile routes). Beyond a budget the view raises RateLimitExceeded, which
core/error_pages.py answers with 429, the limit's reason, the wait and Retry-After, or with the
page its view declared with `refused_page`.
"""
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded, RouteLimit
from flask_login import current_user
from limits.storage import MemoryStorage, Storage
from limits.strategies import STRATEGIES

# The attribute `refused_page` sets on a view, read by core/error_pages.py.
REFUSED_PAGE = "refused_page"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage (`memory://`) without its timer.

    limits 5's MemoryStorage starts a `threading.Timer` (a greenlet under gevent) 10 ms after
    every count, which walks every key to drop the expired ones: under steady traffic it walks
    all keys a hundred times a second (6-8% of a worker's CPU at 400 sends/s with 2,000
    people; bench/RESULTS.md). Its reads already ignore what has expired (`get` checks the
    expiry, the moving window compares times), so the walk only frees memory; here it runs
    inline, in the counting call, at most once every `sweep_seconds` (float, seconds), and
    also drops the moving windows it has emptied (limits keeps their empty lists).
    """

    STORAGE_SCHEME = None  # not registered: FallbackLimiter puts it in place of memory://

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, sweep_seconds: float = 10.0,
                 **options) -> None:
        Storage.__init__(self, uri, wrap_exceptions=wrap_exceptions, **options)
        self.storage = Counter()
        self.locks = defaultdict(threading.RLock)
        self.expirations = {}
        self.events = {}
        self.sweep_seconds = sweep_seconds
        self._next_sweep = time.monotonic() + sweep_seconds

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["locks"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.locks = defaultdict(threading.RLock)

    def _MemoryStorage__schedule_expiry(self) -> None:
        # Called by MemoryStorage's incr, decr and acquire_entry in place of starting a timer.
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_seconds
            self._MemoryStorage__expire_events()
            # limits keeps a moving window's emptied list; drop it with its key (under the
            # key's lock, as limits' own walk does, for servers with real threads).
            for key in [key for key, entries in list(self.events.items()) if not entries]:
                with self.locks[key]:
                    if not self.events.get(key, True):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)


class FallbackLimiter(Limiter):
    """A Limiter whose every request falls back to in-memory counting while the storage is
    down (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), instead of failing; its in-memory storage
    (`memory://`, and the fallback) is SweptMemoryStorage, which keeps no timer."""

    def init_app(self, app, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)
        if not self.enabled:  # RATELIMIT_ENABLED off: Flask-Limiter made no storage
            return
        strategy = STRATEGIES[self._strategy]
        if type(self._storage) is MemoryStorage:
            self._storage = SweptMemoryStorage()
            self._limiter = strategy(self._storage)
        if self._fallback_limiter is not None:
            self._fallback_storage = SweptMemoryStorage()
            self._fallback_limiter = strategy(self._fallback_storage)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._limits_before_views():
            # Run for every request before its view: with no default, application or blueprint
            # limits (every limit of Parley's sits on its view, checked when the view runs),
            # there is nothing to check, and resolving that cost ~0.1 ms a request.
            return
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        except RateLimitExceeded:
            raise
        except Exception:
            # The storage failed, and another request has already switched to the fallback
            # (otherwise Flask-Limiter itself would have switched, and not raised).
            if not (self._in_memory_fallback_enabled and self._storage_dead):
                raise
            self.logger.warning("Rate limit storage failed under a request; checked in memory instead")
            self.context.seen_limits.clear()
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


    def _limits_before_views(self) -> bool:
        manager = self.limit_manager
        return bool(manager.default_limits or manager.application_limits or manager._blueprint_limits)


def person_key() -> str:
    """The rate-limit key of the logged-in person: "person:<user id>". Only for views that
    need a login (every API view; pages behind login_required)."""
    return f"person:{current_user.get_id()}"


def friend_pair_key() -> str:
    """The rate-limit key of a friend request's pair: the logged-in person and the person
    asked, named by the JSON body's `username` (or the friends page's form field, without
    JavaScript) as the friends service reads it (spaces trimmed, any case):
    "person:<user id>:asks:<username>". Reads no database."""
    body = request.get_json(silent=True) if request.is_json else request.form
    username = body.get("username") if isinstance(body, Mapping) else None
    return f"{person_key()}:asks:{str(username or '').strip().lower()}"


def succeeded(response) -> bool:
    """A `deduct_when` for limits that count only what was done: a 2xx or 3xx answer."""
    return response.status_code < 400


def person_limit(setting: str, scope: str, reason: Callable[[], str], **options) -> RouteLimit:
    """A decorator limiting a view to `app.config[setting]` (Flask-Limiter notation, read at
    each request) per logged-in person, in the budget `scope` that every view decorated with
    the same scope shares. `reason()` (a translated sentence, called when a call is refused)
    opens the 429's message. `options` go to Limiter.shared_limit (`methods`, `key_func`,
    `exempt_when`, `deduct_when`). Beyond the budget the view raises RateLimitExceeded (429)."""
    # Looked up here, when views are decorated: extensions.py imports FallbackLimiter from
    # this module, so this module cannot import extensions when it loads.
    from extensions import limiter

    options.setdefault("key_func", person_key)
    return limiter.shared_limit(lambda: current_app.config[setting], scope, error_message=reason, **options)


def action_limit(**options) -> RouteLimit:
    """ACTION_LIMIT per person, one budget for every action that records an event and has no
    budget of its own: group, friend-request answers, friend and favorite actions, recall.
    `options` as person_limit's (e.g. methods=["POST"] for a page that also answers GET)."""
    return person_limit("ACTION_LIMIT", "action", lambda: _("You are doing that too often."), **options)


def read_limit() -> RouteLimit:
    """ACTION_LIMIT per person for moving read positions, in a budget of its own: the chat
    page moves them by itself as messages arrive, and a busy group must not use up what a
    person does by hand."""
    return person_limit("ACTION_LIMIT", "read", lambda: _("Your read position is moving too often."))


def search_limit() -> RouteLimit:
    """SEARCH_LIMIT per person for searches (the page and the API share it): a search reads
    the index and more, so it has a budget of its own."""
    return person_limit("SEARCH_LIMIT", "search", lambda: _("You are searching too often."))


def friend_request_limit() -> Callable:
    """A decorator with both friend-request budgets: FRIEND_REQUEST_LIMIT per person, and
    FRIEND_REQUEST_PAIR_LIMIT per (asker, person asked), so that renewing a request to the
    same person, or asking again right after a rejection, soon waits. Both count requests
    sent (or renewed, or accepting theirs), not tries the service refused."""
    per_person = person_limit("FRIEND_REQUEST_LIMIT", "friend-request",
                              lambda: _("You have sent too many friend requests."), deduct_when=succeeded)
    per_pair = person_limit("FRIEND_REQUEST_PAIR_LIMIT", "friend-request-pair",
                            lambda: _("You have asked this person too many times."), key_func=friend_pair_key,
                            deduct_when=succeeded)
    return lambda view: per_person(per_pair(view))


def profile_change_limit() -> RouteLimit:
    """PROFILE_CHANGE_LIMIT per person, one budget for nickname, avatar and read-receipt
    changes (each is an event to every friend and fellow member, or moves every worker's
    credential epoch)."""
    return person_limit("PROFILE_CHANGE_LIMIT", "profile", lambda: _("You have changed your profile too many times."))


def group_rename_limit() -> RouteLimit:
    """GROUP_RENAME_LIMIT per person (each rename is an event to every member)."""
    return person_limit("GROUP_RENAME_LIMIT", "group-rename", lambda: _("You have renamed groups too many times."))


def refused_page(render: Callable) -> Callable:
    """Declare what a form page answers when one of its rate limits refuses it:
    `render(exc)`, exc a core.errors.TooManyRequests (message, retry_after), returns the page
    again with what was typed and the refusal on the form (core.views.render_form gives it
    status 429 and Retry-After). Put it right under the route decorator. Without it a refused
    page gets the error page; JSON callers always get the JSON error. For a logged-in person
    it also answers text the input rules refuse (core/input.py: a NUL character) with exc a
    DomainError (400), the form to show again being core.typed.typed_form()."""
    def decorate(view):
        setattr(view, REFUSED_PAGE, render)
        return view
    return decorate
