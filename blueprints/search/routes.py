"""The search page: a search over every message you can see, or one conversation's."""
from datetime import datetime

from flask import render_template, request
from flask_login import current_user, login_required

from blueprints.search import bp, services
from core.errors import DomainError
from core.input import id_arg, int_arg
from core.ratelimit import search_limit

PAGE_RESULTS = 20


@bp.route("/search")
@login_required
@search_limit()
def index():
    """Results for `q` newest first (`before` pages on), in every conversation or in
    `conversation_id`, of one `kind`, or best first with `order=relevance` (`offset` pages
    on). Bad filters answer 400 with the form kept as typed."""
    q = request.args.get("q", "")
    kind = request.args.get("kind") or None
    order = request.args.get("order") or "newest"
    conversation_id = id_arg("conversation_id")
    before, offset = id_arg("before"), int_arg("offset", 0, 0, services.OFFSET_MAX)
    conversations = sorted(services.searchable_conversations(current_user).values(), key=lambda c: -c.id)
    names = services.conversation_names(current_user, conversations)
    results, error, status = None, None, 200
    if q.strip():
        try:
            results = services.search_messages(current_user, q, conversation_id=conversation_id, kind=kind,
                                               before=before, limit=PAGE_RESULTS, order=order, offset=offset)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            for hit in results["items"]:  # the page shows it in the reader's format
                hit["sent_at"] = datetime.fromisoformat(hit["message"]["created_at"])
    return render_template("search/index.html", q=q, kind=kind, order=order, conversation_id=conversation_id,
                           conversations=[(c.id, names[c.id]) for c in conversations],
                           results=results, error=error), status
