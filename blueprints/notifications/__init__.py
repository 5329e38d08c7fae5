"""The notifications page: friend requests received and sent."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
