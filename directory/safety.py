"""What every request passes through before and after its view: the parts of the app that keep
hostile input, proxies and browsers in line. Wired up once by the app factory (`init_app`)."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

# Ids in URLs (/admin/claims/<int:...>, sitemaps) are looked up in integer columns: 32-bit on
# PostgreSQL, 64-bit on SQLite. A larger number names nothing, so it is a 404 rather than an
# overflow inside the database driver.
MAX_URL_INT = 2**31 - 1


class StoreInteger(IntegerConverter):
    """`<int:...>` limited to what a store's integer column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any route is added: every `<int:...>` in the app is a StoreInteger."""
    app.url_map.converters["int"] = StoreInteger
