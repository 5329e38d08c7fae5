"""The fixtures most chat tests start from: four people, alice friends with the other three,
their direct conversation, the group "Hikers", and one logged-in browser per person.
tests/conftest.py registers them, so any test may ask for them by name."""
import pytest

from tests.support.factories import direct_conversation, make_friends, make_group, make_user
from tests.support.login import quick_client


@pytest.fixture
def alice_and_friends(app):
    """alice, bob, carol and dave; alice is friends with the other three (so she shares a
    direct conversation with each), they are not friends with each other. Returns their ids."""
    ids = tuple(make_user(app, name) for name in ("alice", "bob", "carol", "dave"))
    for friend in ids[1:]:
        make_friends(app, ids[0], friend)
    return ids


@pytest.fixture
def direct(app, alice_and_friends):
    """The direct conversation of alice and bob."""
    alice, bob, *_ = alice_and_friends
    return direct_conversation(app, alice, bob)


@pytest.fixture
def group(app, alice_and_friends):
    """'Hikers', owned by alice, with bob and carol (not dave)."""
    alice, bob, carol, _dave = alice_and_friends
    return make_group(app, alice, "Hikers", [bob, carol])


def login_cache(app):
    """as_("alice") -> (client, headers): one quick_client per person, made once."""
    made = {}

    def login(username):
        if username not in made:
            made[username] = quick_client(app, username)
        return made[username]
    return login


@pytest.fixture
def as_(app, alice_and_friends):
    """as_("alice") -> (client, headers), one logged-in browser per person, made once."""
    return login_cache(app)
