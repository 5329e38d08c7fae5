"""Reading groups back in the group tests: how many there are, one group's row, and the list
a person's browser sees."""
from sqlalchemy import func, select

from extensions import db
from models import Conversation
from tests.support.api import API

# The refusal a full group gives in tests/groups' `small` app (GROUP_MAX_MEMBERS=3).
FULL = "A group can have at most 3 members."


def group_count(app) -> int:
    """How many group conversations exist."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Conversation)
                                 .where(Conversation.kind == "group"))


def group_row(app, group_id) -> Conversation:
    """The group's row, detached from the session (read its columns freely)."""
    with app.app_context():
        group = db.session.get(Conversation, group_id)
        db.session.expunge(group)
        return group


def listed(client) -> list[tuple[str, int]]:
    """(name, member count) of each group GET /api/v1/groups lists for `client`."""
    response = client.get(f"{API}/groups")
    assert response.status_code == 200
    return [(g["name"], g["member_count"]) for g in response.get_json()["items"]]
