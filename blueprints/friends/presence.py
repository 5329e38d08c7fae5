"""Which friends are online now (the friends page lists them first), and friends' names for
the chat page's "<name> is online" notice (static/js/online-notice.js)."""
from sqlalchemy import and_, select

from blueprints.friends.services import list_friends
from extensions import db
from models import Friendship, User
from realtime import online_among


def friend_names(user_id: int) -> dict[int, str]:
    """{friend's id: nickname} of `user_id`'s friends, unordered; one query."""
    return dict(db.session.execute(select(User.id, User.nickname).join(
        Friendship, and_(Friendship.friend_id == User.id, Friendship.user_id == user_id))).all())


def friends_online_first(user: User) -> list[tuple[User, bool]]:
    """`user`'s friends as (friend, online now), those online first, each part in
    list_friends' order. Online: an open stream on any worker (realtime.online_among)."""
    friends = list_friends(user)
    online = set(online_among([friend.id for friend in friends]))
    return sorted(((friend, friend.id in online) for friend in friends), key=lambda pair: not pair[1])
