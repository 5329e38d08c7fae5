"""Mentions: the messages that mention a person, newest first, as a page and an API."""
from flask import Blueprint

bp = Blueprint("mentions", __name__)
