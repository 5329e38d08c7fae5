"""The Mentions page: the messages that mention you, newest first, each opening its place in
the chat."""
from datetime import datetime

from flask import render_template
from flask_login import current_user, login_required

from blueprints.mentions import bp, services
from core.input import id_arg

PAGE_MENTIONS = 20


@bp.route("/mentions")
@login_required
def index():
    """Mentions of you newest first; `before` (a message id) pages on (400 when it is not one)."""
    results = services.list_mentions(current_user, id_arg("before"), PAGE_MENTIONS)
    for item in results["items"]:  # the page shows it in the reader's format
        item["sent_at"] = datetime.fromisoformat(item["message"]["created_at"])
    return render_template("mentions/index.html", results=results)
