"""A person as every area shows them: the public fields and the avatar's URL."""
import hashlib
from functools import lru_cache

from flask import current_app
from werkzeug.routing import Map


def avatar_url(user) -> str:
    """The path of `user`'s avatar, versioned so browsers refetch it when it changes.

    Built from the URL map without a request (the main blueprint serves it), so services can
    put it in events; remembered for the last few thousand (person, avatar, nickname), as
    every message a person sends carries it.
    """
    return _avatar_url(current_app.url_map, current_app.config["APPLICATION_ROOT"], user.id, user.avatar_key,
                       user.nickname)


@lru_cache(maxsize=4096)
def _avatar_url(url_map: Map, root: str, user_id: int, avatar_key: str | None, nickname: str) -> str:
    version = hashlib.sha256(f"{avatar_key}|{nickname}".encode()).hexdigest()[:10]
    return url_map.bind("localhost", script_name=root).build("main.avatar", {"user_id": user_id, "v": version})


def user_brief(user) -> dict:
    """The public fields of a person, as events and the API carry them: id, username,
    nickname and avatar_url."""
    return {"id": user.id, "username": user.username, "nickname": user.nickname,
            "avatar_url": avatar_url(user)}
