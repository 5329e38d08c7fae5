"""`flask uploads cleanup`: free stored bytes that nothing refers to any more."""
import click
from flask.cli import AppGroup

from blueprints.attachments.services import clean_up_blobs

uploads_cli = AppGroup("uploads", help="Manage uploaded files.")


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


@uploads_cli.command("cleanup")
@click.option("--min-age", type=click.IntRange(min=0), default=3600, show_default=True,
              help="Spare files changed less than this many seconds ago (uploads in progress).")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
def cleanup(min_age, dry_run):
    """Remove stored files that no message, favorite or avatar refers to, and report what was
    freed. Anything still referred to is never removed."""
    count, freed = clean_up_blobs(min_age, dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {count} unreferenced file{'s' if count != 1 else ''}, freeing {_human(freed)}.")
