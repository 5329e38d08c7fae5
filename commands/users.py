"""`flask users ...`: create, list, disable, enable, set-password, promote, token."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from blueprints.auth import services, sessions
from core.errors import DomainError
from core.timeutil import utcnow
from extensions import db
from models import User
from realtime import events
from realtime.eventlog import send_control_on_commit

users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _get(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        _fail(f"no user named {username!r}.")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The account's email address.")
@click.option("--nickname", help="Display name (default: the username).")
@click.option("--password", help="Password; prompted for (hidden, twice) when not given.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
def create(username, email, nickname, password, admin):
    """Create an account (no email code needed)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(username, nickname or username, email, password, is_admin=admin)
    except DomainError as exc:
        _fail(f"{exc.field or 'input'}: {exc.message}")
    click.echo(f"Created user {user.username} (id {user.id}, {user.email}){' as admin' if admin else ''}.")


@users_cli.command("list")
def list_users():
    """List every account: id, username, nickname, email, status."""
    rows = db.session.scalars(select(User).order_by(User.id)).all()
    if not rows:
        click.echo("No users.")
        return
    click.echo(f"{'ID':>5}  {'USERNAME':<32}  {'STATUS':<8}  {'ROLE':<5}  EMAIL / NICKNAME")
    for user in rows:
        status = "active" if user.is_active else "disabled"
        role = "admin" if user.is_admin else "user"
        click.echo(f"{user.id:>5}  {user.username:<32}  {status:<8}  {role:<5}  {user.email} / {user.nickname}")


@users_cli.command("disable")
@click.argument("username")
def disable(username):
    """Disable an account: it cannot log in; its sessions end and its tokens stop working."""
    user = _get(username)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    ended = sessions.end_sessions(user.id)
    send_control_on_commit(events.disable(user.id))  # closes streams opened by token
    db.session.commit()
    click.echo(f"Disabled {user.username}; ended {ended} session(s).")


@users_cli.command("enable")
@click.argument("username")
def enable(username):
    """Enable a disabled account again."""
    user = _get(username)
    user.disabled_at = None
    db.session.commit()
    click.echo(f"Enabled {user.username}.")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", help="New password; prompted for when not given.")
def set_password(username, password):
    """Set a new password; every session of the account ends."""
    user = _get(username)
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        services.set_password(user, password)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Password of {user.username} changed; their sessions are ended.")


@users_cli.command("promote")
@click.argument("username")
@click.option("--demote", is_flag=True, help="Take administrator rights away instead.")
def promote(username, demote):
    """Make an account an administrator (or, with --demote, a plain user)."""
    user = _get(username)
    user.is_admin = not demote
    db.session.commit()
    click.echo(f"{user.username} is {'no longer' if demote else 'now'} an administrator.")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A name to recognise the token by.")
def token(username, name):
    """Create a personal access token and print it (it is shown only this once)."""
    user = _get(username)
    if not user.is_active:
        _fail(f"{user.username} is disabled.")
    if not 1 <= len(name.strip()) <= 64:
        _fail("the name must be 1 to 64 characters.")
    raw = sessions.create_token(user, name.strip())
    db.session.commit()
    click.echo(raw)



