"""GET /events and GET /events/poll: a person's durable events after a cursor, then live."""
from flask import Response, abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.auth.sessions import request_credential
from blueprints.events import bp
from extensions import db
from core.routing import ID_MAX
from realtime import hub
from realtime.stream import TAB_RE
from realtime.streaming import (CursorTooOld, DetachedStreamResponse, detachable, event_stream, poll,
                                 serve_detached)

MAX_CURSOR = 2**63 - 1


def _person() -> int:
    # A stream for someone not logged in is a plain 401 (never a redirect the EventSource
    # would follow and retry forever).
    if not current_user.is_authenticated:
        abort(401, _("Log in to receive events."))
    return current_user.id


def _cursor(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    # ASCII only: str.isdigit() also accepts "²" (which int() refuses: a 500) and "٣".
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_CURSOR:
        abort(400, _("%(name)s must be a whole number of 0 or more.", name=name))
    return int(value)


def tab_of(value: str | None) -> str | None:
    """A page's stream id as given (`tab`), None when absent; 400 when it is not 1-64 letters,
    digits, "-" or "_"."""
    if value is None or value == "":
        return None
    if not TAB_RE.fullmatch(value):
        abort(400, _("tab must be 1 to 64 letters, digits, hyphens or underscores."))
    return value


@bp.route("/events")
def stream():
    """Server-Sent Events: replay after `Last-Event-ID` (or `last_event_id`), then live. A
    page names its stream with `tab` to have the messages it views read as they arrive."""
    user_id = _person()
    tab = tab_of(request.args.get("tab"))
    cursor = _cursor(request.headers.get("Last-Event-ID"), "Last-Event-ID")
    if cursor is None:
        cursor = _cursor(request.args.get("last_event_id"), "last_event_id")
    app = current_app._get_current_object()
    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
    credential, the_hub = request_credential(), hub()
    if detachable(request.environ):
        # gunicorn: the stream takes the connection over, and its greenlet ends once the
        # replay is out (realtime/writer.py). Wait without holding a database connection.
        db.session.remove()
        return DetachedStreamResponse(
            lambda sock, head: serve_detached(app, the_hub, user_id, credential, cursor, sock, head, tab),
            mimetype="text/event-stream", headers=headers)
    # Elsewhere the request's greenlet writes the stream; gunicorn's socket, when there is one,
    # lets it end as soon as its client is gone.
    body = event_stream(app, the_hub, user_id, credential, cursor, request.environ.get("gunicorn.socket"), tab)
    return Response(body, mimetype="text/event-stream", headers=headers)


@bp.route("/events/poll")
def long_poll():
    """Long-polling: events after `after` at once, or wait up to `timeout` seconds. A page
    that views a conversation names itself (`tab`) and it (`view`, a conversation id): the
    messages of it that a poll answers with are read."""
    user_id = _person()
    after = _cursor(request.args.get("after"), "after")
    if after is None:
        abort(400, _("Give the cursor as after=<event id>."))
    tab = tab_of(request.args.get("tab"))
    view = _cursor(request.args.get("view"), "view")
    if view is not None and (tab is None or view > ID_MAX):
        abort(400, _("view must be a conversation id, given with tab."))
    config = current_app.config
    raw_timeout = request.args.get("timeout")
    timeout = config["POLL_TIMEOUT"]
    if raw_timeout not in (None, ""):
        try:
            timeout = float(raw_timeout)
        except ValueError:
            abort(400, _("timeout must be a number of seconds."))
        if not 0 <= timeout <= config["POLL_TIMEOUT_MAX"]:
            abort(400, _("timeout must be between 0 and %(n)d seconds.", n=config["POLL_TIMEOUT_MAX"]))
    app = current_app._get_current_object()
    credential = request_credential()
    db.session.remove()  # wait without holding a database connection
    try:
        result = poll(app, hub(), user_id, credential, after, timeout, tab, view)
    except CursorTooOld:
        return jsonify({"reset": True, "events": [], "cursor": after}), 409
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response
