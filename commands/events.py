"""`flask events prune`: drop events older than the retention period."""
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, func, select

from core.timeutil import utcnow
from extensions import db
from models import Event

events_cli = AppGroup("events", help="Manage the event log.")


@events_cli.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days of events (default: EVENT_RETENTION_DAYS).")
def prune(days):
    """Delete events older than the retention period. Clients whose cursor is older get a
    `reset` and reload their state; nothing newer is touched, so no id gap appears."""
    days = days or current_app.config["EVENT_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    # Delete a prefix of ids only (everything up to the newest old event), never a hole.
    last_old = db.session.scalar(select(func.max(Event.id)).where(Event.created_at < cutoff))
    if last_old is None:
        click.echo(f"No events older than {days} days.")
        return
    count = db.session.execute(delete(Event).where(Event.id <= last_old)).rowcount
    db.session.commit()
    click.echo(f"Deleted {count} events up to id {last_old} (older than {days} days).")
