"""The message catalogue: labels by path, and messages that name the field in plain words."""

import pytest

from registry.messages import MESSAGES, describe, label


@pytest.mark.parametrize(
    "path, expected",
    [
        ("name", "the clinic name"),
        ("address.city", "the city"),
        ("hours.sun", "Sunday's hours"),
        ("hours.sun.0", "Sunday's hours"),
        ("hours.timezone", "the time zone"),
        ("certifications.2.expires", "the expiry date of credential 3"),
        ("certifications.0", "credential 1"),
        ("reviews.4.rating", "the rating of review 5"),
        ("price_range.max", "the highest price"),
        ("min_rating", "the min rating"),  # an API parameter without its own label
    ],
)
def test_labels(path, expected):
    assert label(path) == expected


def test_describe_fills_in_the_label_and_capitalises_a_sentence_start():
    assert describe("address.city", MESSAGES["required"]) == "Enter the city."
    assert describe("certifications.1.number", MESSAGES["too_long"].format(max=100)) == (
        "The licence number of credential 2 must be 100 characters or fewer."
    )
    assert describe("anything", "A message without a label stays as it is.") == (
        "A message without a label stays as it is."
    )


def test_no_message_shows_a_pattern_or_a_field_path():
    for key, message in MESSAGES.items():
        assert "^" not in message and "\\d" not in message, key
        assert "price_range" not in message and "hours." not in message, key
