"""Search: one search over every message a person can see, as a page and an API."""
from flask import Blueprint

bp = Blueprint("search", __name__)
