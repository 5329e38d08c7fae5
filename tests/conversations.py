"""Fixtures the message, attachment and favorite tests share (imported by name into their
modules): the direct conversation of alice and bob, the group "Hikers", and one logged-in
browser per person. Each module defines its own `people` fixture (alice, bob, carol, dave,
alice friends with the other three); these use whichever the requesting test's module has."""
import pytest

from blueprints.friends import services as friends
from tests.helpers import make_group, quick_client


def login_cache(app):
    """as_("alice") -> (client, headers): one logged-in browser per person, made once."""
    made = {}

    def login(username):
        if username not in made:
            made[username] = quick_client(app, username)
        return made[username]
    return login


@pytest.fixture
def direct(app, people):
    """The direct conversation of alice and bob."""
    alice, bob, *_ = people
    with app.app_context():
        return friends.direct_conversation(alice, bob).id


@pytest.fixture
def group(app, people):
    """'Hikers', owned by alice, with bob and carol (not dave)."""
    alice, bob, carol, _dave = people
    return make_group(app, alice, "Hikers", [bob, carol])


@pytest.fixture
def as_(app, people):
    """as_("alice") -> (client, headers), one logged-in browser per person, made once."""
    return login_cache(app)
