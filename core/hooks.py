"""Parley's request pipeline and commit pipeline, installed in one place, in the order they run.

`create_app` calls `init_app(app)` once: after the extensions' own `init_app` (so their hooks
run first, and the JSON API's error handler is replaced here) and before the blueprints. No
blueprint registers a request hook, a context processor or an error handler; the functions
live in the area that owns them, and only this module decides when they run.

A request, in order:
  1. ProxyFix (when PROXY_COUNT is set, app.py) takes the client's address, scheme and host
     from the proxies' X-Forwarded-* headers.
  2. The URL is matched; an id in it beyond the id range is a 404 (core/routing.IdConverter).
  3. The extensions' before-request hooks: Flask-WTF's check is off (WTF_CSRF_CHECK_DEFAULT),
     Flask-Limiter has no default limits, Talisman makes the CSP nonce.
  4. enforce_upload_limit (core/views.py): 413 for an upload declared over its view's limit,
     before anything reads the body (the CSRF check reads the form), and a cap on reading it.
  5. require_login_for_api (auth/routes.py): an operation of the JSON API without a login is
     a 401, before its arguments (422) or its CSRF token (400) are looked at; with one, the
     database connection goes back to the pool until the view's first query. The person is
     loaded here or at the first use of current_user (auth/sessions.py: the session cookie's
     row, or a Bearer token; for AUTH_CACHE_SECONDS from the worker's credential cache,
     auth/cache.py, without a query).
  6. check_csrf (auth/routes.py): an unsafe method without a valid CSRF token is a 400,
     unless the request carries a Bearer token (no cookie, nothing to forge).
  7. The view: its arguments (webargs: 422), its rate limits (429), one service call; a
     service commits (the commit pipeline below), then the view renders or returns JSON.
  8. Templates see, besides Flask-Login's current_user and Flask-WTF's csrf_token:
     nav_items, avatar_url, get_locale (main/routes.layout_context), total_unread
     (chat/routes.unread_total), pending_requests (notifications/routes.pending_requests).
  9. An exception raised by any step becomes an answer (core/error_pages.py; JSON for the
     API and JSON callers, the error page otherwise): HTTPException (abort, 404, 405, 413,
     422, 429 with Retry-After), CSRFError (400), DomainError (its status and field),
     a database pool timeout (503: "try again", or "your change was saved" once this
     request has committed), any other exception (500, logged).
 10. The extensions' after-request hooks: Flask-Login's remember cookie, Flask-Limiter's
     (its headers are off), Talisman's security headers.

A commit, in order (realtime/eventlog.py; see docs/delivery.md):
  1. In its transaction a service records events (`send_event_on_commit`) and control
     messages (`send_control_on_commit`, e.g. "close the streams of this revoked session").
  2. before_commit: the events take gapless ids from the event counter and are written
     (the send path takes its ids earlier, `take_event_ids`, and writes its events itself).
  3. COMMIT. A rollback, or closing the session, drops what was recorded instead.
  4. after_commit, the steps installed here, in this order, after every commit:
     a. forget_committed (auth/cache.py): this worker's credential cache forgets the
        sessions and tokens revoked and the people disabled or changed, before anyone else
        hears of it (the other workers forget them when the broker brings the news).
     b. publish_committed (realtime): the committed events, then the control messages, go
        to the broker; every worker's hub hands each event to its audience's open streams.
     c. queue_committed (blueprints/push/sender.py): the committed message.created events go to
        this process's push queue (an append); its own thread sends the notifications.
     d. note_commit (core/error_pages.py): this request has committed a change (read by the
        503 answer in step 9 above).
"""
from flask import Flask
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from blueprints.auth.cache import forget_committed
from blueprints.auth.routes import check_csrf, require_login_for_api
from blueprints.chat.routes import unread_total
from blueprints.main.routes import layout_context
from blueprints.notifications.routes import pending_requests
from blueprints.push.sender import queue_committed
from core.error_pages import (handle_csrf_error, handle_domain_error, handle_http_exception, handle_pool_timeout,
                              handle_server_error, note_commit)
from core.errors import DomainError
from core.views import enforce_upload_limit
from realtime import publish_committed
from realtime.eventlog import install_commit_listeners


def init_app(app: Flask) -> None:
    """Install on `app`, in the order they run: the before-request hooks, the template
    context, the error handlers, and the steps run after every database commit. Call once per
    app, after the extensions' init_app and before registering blueprints."""
    # Before each request; the first that aborts ends it (see the module docstring, 4-6).
    app.before_request(enforce_upload_limit)  # 413 first: the CSRF check reads the body
    app.before_request(require_login_for_api)  # the API's 401 before CSRF's 400
    app.before_request(check_csrf)

    # What every template sees (no two of them set the same name).
    app.context_processor(layout_context)
    app.context_processor(unread_total)
    app.context_processor(pending_requests)

    # Errors become answers. Flask picks the handler of the most specific class, so the order
    # here does not matter; coming after api.init_app does (it replaces flask-smorest's).
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(PoolTimeout, handle_pool_timeout)
    app.register_error_handler(InternalServerError, handle_server_error)

    # After every commit, in this order. Process-wide (a Session listener) and idempotent.
    install_commit_listeners([forget_committed, publish_committed, queue_committed, note_commit])
