"""The automatic checks on a consumer's review, as pure functions.

Neutrality by construction: a check receives a `Submission` and the `Evidence` around it, and
neither has a rating, so no check can treat a one-star review differently from a five-star one
(tests/registry/test_review_checks.py holds that true). A review that meets a check is held for
an administrator, never removed by a machine.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

DUPLICATE_MIN_CHARS = 25  # shorter texts ("Great results!") are too common to mean anything
NEAR_MIN_WORDS = 12
NEAR_SIMILARITY = 0.6  # Jaccard similarity of word triples
CLIENT_BURST = 3  # other reviews from the same device in the day before this one
NETWORK_BURST = 5  # ... from the same network in the hour before
CLINIC_BURST = 20  # ... for the same clinic in the day before

_WORD = re.compile(r"\w+")
_LINK = re.compile(
    r"https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|info|biz|io|co|us|me|ly|app|site|online|shop)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?:\+?\d[\s().-]*){7,}")


@dataclass(frozen=True)
class Submission:
    """What a review says and where it came from. No rating: see the module's docstring."""

    clinic_id: str
    title: str | None
    text: str
    author: str | None
    email: str | None
    by_clinic_account: bool  # written while signed in as a clinic's staff or administrator


@dataclass(frozen=True)
class Evidence:
    """What the store knows around a submission, gathered the same way for every review."""

    same_text: int  # other consumer reviews with the same normalised text
    recent_texts: tuple[str, ...]  # the clinic's latest other consumer reviews
    same_reviewer: int  # other live reviews of this clinic from the same email address
    client_recent: int
    network_recent: int
    clinic_recent: int
    clinic_emails: frozenset[str]  # the clinic's accounts and listing email
    clinic_domains: frozenset[str]  # the clinic's website domain


def normalized(text: str) -> str:
    """Case, accents, punctuation and spacing folded away: what duplicate checks compare."""
    folded = text.casefold()
    if not folded.isascii():  # accents: decomposed, then dropped (most reviews skip this)
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(folded))


def fingerprint(text: str) -> str | None:
    """The digest duplicate detection looks up; None for texts too short to compare."""
    words = normalized(text)
    return hashlib.sha256(words.encode()).hexdigest() if len(words) >= DUPLICATE_MIN_CHARS else None


def _triples(text: str) -> set[tuple[str, ...]]:
    words = normalized(text).split()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def duplicate_text(sub: Submission, evidence: Evidence) -> bool:
    if evidence.same_text:
        return True
    mine = _triples(sub.text)
    if len(mine) < NEAR_MIN_WORDS - 2:
        return False
    for other in evidence.recent_texts:
        theirs = _triples(other)
        if theirs and len(mine & theirs) / len(mine | theirs) >= NEAR_SIMILARITY:
            return True
    return False


def repeat_reviewer(sub: Submission, evidence: Evidence) -> bool:
    return evidence.same_reviewer > 0


def burst(sub: Submission, evidence: Evidence) -> bool:
    return (
        evidence.client_recent >= CLIENT_BURST
        or evidence.network_recent >= NETWORK_BURST
        or evidence.clinic_recent >= CLINIC_BURST
    )


def links_or_contact(sub: Submission, evidence: Evidence) -> bool:
    words = " ".join(filter(None, (sub.title, sub.text, sub.author)))
    return bool(_LINK.search(words) or _EMAIL.search(words) or _PHONE.search(words))


def clinic_account(sub: Submission, evidence: Evidence) -> bool:
    if sub.by_clinic_account:
        return True
    email = (sub.email or "").lower()
    domain = email.rpartition("@")[2]
    return bool(email) and (email in evidence.clinic_emails or domain in evidence.clinic_domains)


# reason code (registry.policy.CHECK_REASONS) -> check, in the order the queue lists them
CHECKS = {
    "duplicate-text": duplicate_text,
    "repeat-reviewer": repeat_reviewer,
    "burst": burst,
    "links-or-contact": links_or_contact,
    "clinic-account": clinic_account,
}


def failed_checks(sub: Submission, evidence: Evidence) -> list[str]:
    """The reason codes of the checks this submission meets; empty when it may be published."""
    return [code for code, check in CHECKS.items() if check(sub, evidence)]
