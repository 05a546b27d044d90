"""The search core: query understanding (understand.py), query building (query.py), paging
cursors (cursor.py), execution (core.py), article search (articles.py) and the errors it raises
(errors.py). Views only call it."""

from directory.search.core import Results, search, understand_query
from directory.search.errors import CursorError, PlaceNotFound, SearchError
from directory.search.query import SearchQuery

__all__ = [
    "CursorError",
    "PlaceNotFound",
    "Results",
    "SearchError",
    "SearchQuery",
    "search",
    "understand_query",
]
