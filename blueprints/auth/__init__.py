"""Accounts: registration with an emailed code, login, logout, password reset."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
