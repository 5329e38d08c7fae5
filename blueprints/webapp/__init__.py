"""The installable web app: its manifest, its service worker and the page shown offline."""
from flask import Blueprint

bp = Blueprint("webapp", __name__)
