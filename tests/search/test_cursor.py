"""directory/search/cursor.py: opaque cursors that refuse other queries and damage."""

import base64
import json

import pytest

from directory.search import cursor
from directory.search.errors import CursorError

QUERY = {"lat": 35.2, "lon": -80.8, "sort": "distance"}


def test_a_cursor_gives_back_its_sort_values():
    token = cursor.encode([1.25, "good-7"], QUERY)
    assert "=" not in token and token.isascii()
    assert cursor.decode(token, dict(reversed(QUERY.items()))) == [1.25, "good-7"]  # key order is no matter


def test_a_cursor_of_another_query_is_refused():
    token = cursor.encode([1.25, "good-7"], QUERY)
    with pytest.raises(CursorError, match="different query"):
        cursor.decode(token, {**QUERY, "sort": "rating"})


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64 at all!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"after": [1]}).encode()).decode(),  # no query digest
        base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode(),
    ],
)
def test_a_damaged_cursor_is_refused_with_a_clear_message(token):
    with pytest.raises(CursorError, match="not valid"):
        cursor.decode(token, QUERY)


def test_sort_values_must_be_a_list():
    raw = json.dumps({"after": "x", "q": cursor._digest(QUERY)}).encode()
    with pytest.raises(CursorError):
        cursor.decode(base64.urlsafe_b64encode(raw).decode(), QUERY)


def test_the_error_names_its_parameter():
    assert CursorError("x").parameter == "cursor"
