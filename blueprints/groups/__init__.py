"""Group chats: create, list, members, invite links, quit and dissolve."""
from flask import Blueprint

bp = Blueprint("groups", __name__)
