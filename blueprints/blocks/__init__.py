"""Blocking people: the block list (on the profile page) and the refusals a block gives."""
from flask import Blueprint

bp = Blueprint("blocks", __name__)
