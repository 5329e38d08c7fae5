"""The people and groups of the group tests: alice with two friends and a stranger, her group
"Hikers", her browser, and a small app whose groups hold three people."""
import pytest

from extensions import db
from tests.support.apps import make_app
from tests.support.factories import make_friends, make_group, make_user
from tests.support.login import quick_client


@pytest.fixture
def friends_and_stranger(app):
    """alice (friends with bob and carol), bob, carol, and dave who knows no one. Returns
    their ids."""
    alice, bob, carol, dave = (make_user(app, name) for name in ("alice", "bob", "carol", "dave"))
    make_friends(app, alice, bob)
    make_friends(app, alice, carol)
    return alice, bob, carol, dave


@pytest.fixture
def as_alice(app, friends_and_stranger):
    return quick_client(app, "alice")


@pytest.fixture
def group(app, friends_and_stranger):
    """'Hikers', owned by alice, with bob and carol."""
    alice, bob, carol, _dave = friends_and_stranger
    return make_group(app, alice, "Hikers", [bob, carol])


@pytest.fixture
def small_app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, GROUP_MAX_MEMBERS=3)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def small(small_app):
    """An app whose groups hold 3 people; alice is friends with bob, carol and dave."""
    ids = [make_user(small_app, name) for name in ("alice", "bob", "carol", "dave", "erin")]
    for friend in ids[1:4]:
        make_friends(small_app, ids[0], friend)
    return small_app, ids
