"""Consumers' personal data on a schedule and on request: `flask --app directory privacy ...`.

    flask --app directory privacy retention          # cron, e.g. daily: erase what is past the period
    flask --app directory privacy erase EMAIL        # someone asked: erase their details now

The period is RETENTION_DAYS (DIRECTORY_RETENTION_DAYS, default 365) after a request's last state
change or a review's last change; what is erased is listed in `registry.retention`. The photos of
deleted, never-confirmed reviews are removed from the photo store too.
"""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from directory.clinic.photo_pages import photo_store
from directory.context import store
from registry import retention

cli = Blueprint("privacy_cli", __name__, cli_group="privacy")


def _finish(erased: retention.Erased) -> None:
    for key in erased.photo_keys:
        photo_store().delete(key)
    click.echo(erased.summary())


@cli.cli.command("retention")
@click.option("--days", type=int, default=None, help="override RETENTION_DAYS for this run")
def retention_command(days: int | None) -> None:
    """Erase consumers' contact details kept longer than the retention period."""
    period = (
        days if days is not None else int(current_app.config.get("RETENTION_DAYS", retention.DEFAULT_DAYS))
    )
    _finish(retention.erase_expired(store(), period))


@cli.cli.command("erase")
@click.argument("email")
def erase_command(email: str) -> None:
    """Erase one person's contact details from requests and reviews now (on their request)."""
    _finish(retention.erase_email(store(), email))
