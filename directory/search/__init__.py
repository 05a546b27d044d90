"""Search core: query building (query.py), paging cursors (cursor.py) and execution (core.py)."""

from directory.search.core import PlaceNotFound, Results, resolve_place, search
from directory.search.cursor import CursorError
from directory.search.query import SearchQuery

__all__ = ["CursorError", "PlaceNotFound", "Results", "SearchQuery", "resolve_place", "search"]
