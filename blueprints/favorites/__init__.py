"""Favorites: messages a person keeps, listed by type with search."""
from flask import Blueprint

bp = Blueprint("favorites", __name__)
