"""The review policy's words: why a review may be removed, what the automatic checks look for.

The policy page (`/review-policy`), the administrators' queue, the moderation log and the
counts on profiles and in the API all use these codes and labels, so a count always names the
rule it counts. No code here, or anywhere in moderation, depends on a review's rating.
"""

from __future__ import annotations

# Why an administrator removes a review: (label, what the policy says).
REMOVAL_REASONS = {
    "spam": (
        "spam",
        "Advertising, links to other businesses, or the same text posted again and again.",
    ),
    "conflict-of-interest": (
        "conflict of interest",
        "Written by the clinic's owners or staff, their relatives, competitors, or anyone paid or "
        "rewarded for the review.",
    ),
    "personal-data": (
        "personal data",
        "Someone's health details, full name, address, phone number or email, other than the "
        "reviewer's own first name.",
    ),
    "hate": (
        "hate or harassment",
        "Threats, harassment, or contempt for people because of who they are.",
    ),
    "off-topic": (
        "off topic",
        "Not about a visit, a consultation or a treatment at this clinic.",
    ),
    "fake": (
        "fake or AI-generated",
        "Not a real person's own experience: invented, bought, or written by an AI tool.",
    ),
}

# What the automatic checks look for; a review that meets one is held for an administrator.
CHECK_REASONS = {
    "duplicate-text": "the same or nearly the same text as another review",
    "repeat-reviewer": "the same email address already reviewed this clinic",
    "burst": "many reviews from one device or network, or for one clinic, in a short time",
    "links-or-contact": "a web link, an email address or a phone number",
    "clinic-account": "written by a clinic's own account, email address or web domain",
}

CHECKS_PASSED = "checks-passed"  # an automatic "publish"
WITHIN_POLICY = "within-policy"  # an administrator's "publish"
AUTOMATIC = "automatic checks"  # the actor of automatic decisions

FLAG_REASONS = {code: label for code, (label, _) in REMOVAL_REASONS.items()}


def reason_label(code: str) -> str:
    """Words for any reason code of the moderation log."""
    if code in REMOVAL_REASONS:
        return REMOVAL_REASONS[code][0]
    if code == CHECKS_PASSED:
        return "passed the automatic checks"
    if code == WITHIN_POLICY:
        return "within the policy"
    return CHECK_REASONS.get(code, code)
