"""What the search core refuses: the app turns these into responses (problem+json for the API,
the search page with the message for people) through its registered error handlers."""

from __future__ import annotations


class SearchError(ValueError):
    """A search the core cannot run as asked; `parameter` names the culprit."""

    parameter = "_query"


class PlaceNotFound(SearchError, LookupError):
    """The `location` names no place the geocoder knows; `suggestions` are close spellings."""

    parameter = "location"

    def __init__(self, place: str, suggestions: list[str]):
        super().__init__(place)
        self.place, self.suggestions = place, suggestions


class CursorError(SearchError):
    """A paging cursor that is damaged or belongs to another query."""

    parameter = "cursor"
