"""A person as every area shows them: the public fields and the avatar's URL."""
import hashlib

from flask import current_app


def avatar_url(user) -> str:
    """The path of `user`'s avatar, versioned so browsers refetch it when it changes.

    Built from the URL map without a request (the main blueprint serves it), so services can
    put it in events.
    """
    version = hashlib.sha256(f"{user.avatar_key}|{user.nickname}".encode()).hexdigest()[:10]
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"])
    return adapter.build("main.avatar", {"user_id": user.id, "v": version})


def user_brief(user) -> dict:
    """The public fields of a person, as events and the API carry them: id, username,
    nickname and avatar_url."""
    return {"id": user.id, "username": user.username, "nickname": user.nickname,
            "avatar_url": avatar_url(user)}
