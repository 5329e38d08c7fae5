"""The home page and avatars."""
from flask import Blueprint

bp = Blueprint("main", __name__)
