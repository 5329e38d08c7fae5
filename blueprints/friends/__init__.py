"""Friends and friend requests: search, requests, the notifications page, the friends list."""
from flask import Blueprint

bp = Blueprint("friends", __name__)
