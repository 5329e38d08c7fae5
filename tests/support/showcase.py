"""A small world to look at every main page with something on it: alice with three friends,
a direct conversation and a group with messages (emoji, a long line, a mention of her), a
favorite and a friend request waiting. The layout and accessibility browser tests share it."""
from blueprints.chat import services as chat
from blueprints.favorites import services as favorites
from extensions import db
from models import User
from tests.support.factories import direct_conversation, make_friends, make_group, make_user, send_request

LONG_WORD = "Supercalifragilisticexpialidocious" * 3  # one unbreakable word wider than a phone


def showcase(app) -> dict:
    """Create the world; return {"direct": id, "group": id} (alice's conversations)."""
    alice, bob, carol, dave = (make_user(app, name) for name in ("alice", "bob", "carol", "dave"))
    erin = make_user(app, "erin", nickname="Erin with a rather long nickname indeed")
    for friend in (bob, carol, dave):
        make_friends(app, alice, friend)
    send_request(app, erin, alice, "We met at the meetup last week, do you remember?")
    direct = direct_conversation(app, alice, bob)
    group = make_group(app, alice, "Hikers of the long mountain trail", [bob, carol])
    with app.app_context():
        users = {user.id: user for user in db.session.scalars(db.select(User))}
        chat.send_message(users[bob], direct, "Hi Alice! 😀🎉 Shall we go hiking on Saturday?")
        sent = chat.send_message(users[alice], direct, "Yes! 👍 Let me check the weather first.")
        chat.send_message(users[bob], direct, f"Here is the trail: {LONG_WORD}")
        chat.send_message(users[bob], group, "@Alice can you bring the map? 🗺️", mentions=[alice])
        chat.send_message(users[carol], group, "I'll bring snacks 🍎🍫")
        favorites.add_favorite(users[alice], sent.message["id"])
        db.session.commit()
    return {"direct": direct, "group": group}
