"""Web Push: the browsers a person lets Parley notify of direct messages and mentions."""
from flask import Blueprint

bp = Blueprint("push", __name__)
