import re
from datetime import date

from registry.derive import Ratings, is_valid_certification, profile_slug, rating_summary, week_minutes


def test_one_perfect_review_does_not_outrank_two_hundred_excellent_ones():
    single = rating_summary(Ratings.of([{"rating": 5}]))
    many = rating_summary(Ratings(four=40, five=160))
    assert single["average"] == 5.0 and many["average"] == 4.8
    assert many["weighted"] > single["weighted"]


def test_rating_summary_counts_each_star():
    ratings = Ratings.of([{"rating": r} for r in (1, 3, 3, "5")])
    assert ratings.stars == (1, 0, 2, 0, 1) and (ratings.count, ratings.total) == (4, 12)
    summary = rating_summary(ratings)
    assert summary["count"] == 4
    assert summary["average"] == 3.0
    assert summary["histogram"] == {"1": 1, "2": 0, "3": 2, "4": 0, "5": 1}
    assert (summary["verified_count"], summary["verified_share"]) == (0, 0.0), (
        "feed reviews are never verified visits"
    )
    assert rating_summary(Ratings())["average"] is None
    assert rating_summary(Ratings())["weighted"] == 3.8
    assert rating_summary(Ratings())["verified_share"] is None


def test_verified_visits_are_counted_beside_all_reviews():
    ratings = Ratings(1, 0, 2, 0, 5, verified_three=1, verified_five=3)
    summary = rating_summary(ratings)
    assert (summary["count"], summary["verified_count"], summary["verified_share"]) == (8, 4, 0.5)
    verified = rating_summary(ratings.verified)
    assert (verified["count"], verified["average"], verified["verified_share"]) == (4, 4.5, 1.0)


def test_only_verified_unexpired_certifications_are_valid():
    certs = [
        {"code": "a", "verified": True, "expires": None},
        {"code": "b", "verified": True, "expires": "2026-11-23"},
        {"code": "c", "verified": True, "expires": "2026-11-22"},
        {"code": "d", "verified": False, "expires": None},
    ]
    assert [c["code"] for c in certs if is_valid_certification(c, date(2026, 11, 23))] == ["a", "b"]


def test_week_minutes_are_local_minutes_from_monday():
    spans = week_minutes({"mon": ["09:00-17:00"], "sun": ["10:00-24:00"]})
    assert spans == [{"gte": 540, "lt": 1020}, {"gte": 6 * 1440 + 600, "lt": 7 * 1440}]


def test_profile_slug_is_ascii_and_unique_per_id():
    slug = profile_slug({"id": "X-1", "name": "Clínica Café", "address": {"city": "Miami"}})
    assert slug == "clinica-cafe-miami--X-1"


def test_slugify_folds_accents_and_punctuation():
    import unicodedata

    from registry.derive import slugify

    def reference(text):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")

    for text in [
        "Clínica Café, Miami",
        "  --A&B  Skin--  ",
        "ﬁne ｓｋｉｎ",
        "Ŧest İstanbul",
        "東京 Skin",
        "x",
    ]:
        assert slugify(text) == reference(text)


def test_week_minutes_keep_several_spans_a_day_and_skip_closed_days():
    hours = {"tue": ["09:00-12:00", "13:00-17:30"], "wed": [], "thu": None}
    assert week_minutes(hours) == [{"gte": 1980, "lt": 2160}, {"gte": 2220, "lt": 2490}]
