"""A person's own profile: nickname, avatar, email, password, language, devices and tokens."""
from flask import Blueprint

bp = Blueprint("profile", __name__)
