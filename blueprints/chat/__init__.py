"""Conversations and messages: sending, history, read positions and unread counts."""
from flask import Blueprint

bp = Blueprint("chat", __name__)
