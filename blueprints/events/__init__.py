"""The event endpoints: GET /events (Server-Sent Events) and GET /events/poll (long-polling)."""
from flask import Blueprint

bp = Blueprint("events", __name__)
