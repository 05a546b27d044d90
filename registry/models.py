"""Every table of the store as a SQLAlchemy model; the schema itself is in migrations/."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base

ROLES = ("clinic", "admin")

REPORT_KINDS = {
    "wrong-address": "Wrong address or location",
    "closed": "The clinic has closed",
    "false-credential": "A credential looks false",
    "wrong-details": "Wrong hours, prices or treatments",
    "other": "Something else",
}


# --- listings -------------------------------------------------------------------------------


class Clinic(Base):
    """One listing. `record` holds the validated clinic record as JSON, without its reviews.

    `updated_at` is the record's own time (feeds send it; it decides which version wins);
    `changed_at` is when this row was last written, set by the edit service on every write
    (the rebuild catch-up finds listings changed during a rebuild by it); `version` counts
    writes (optimistic concurrency for the clinic form).
    """

    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Provenance of each group of facts: source, last changed, last confirmed (registry.provenance).
    facts: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    __mapper_args__ = {"version_id_col": version}


class Review(Base):
    """One review of a listing: from a partner feed (`kind` "feed", in the order its feed listed
    it, `position`) or written here by a consumer (`kind` "verified-visit" or "confirmed").

    The free text (title, text, author, and a feed review's `source`) is kept as JSON so that any
    string a feed may carry, NUL characters and unpaired surrogates included, reads back exactly
    on SQLite and PostgreSQL. Only `status` "published" reviews are shown and counted; the
    columns after `content` belong to consumers' reviews (feed reviews leave them empty), and the
    reviewer's email and client digests are erased after the retention period.
    """

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("clinic_id", "review_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"))
    position: Mapped[int] = mapped_column(Integer)
    review_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean)  # a feed's own flag, as the feed sent it
    content: Mapped[dict] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(16), default="feed")
    status: Mapped[str] = mapped_column(String(16), default="published")
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    treatment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    visit_month: Mapped[str | None] = mapped_column(String(7), nullable=True)  # "2026-10"
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The clinic staff or administrator account signed in while the review was written, if any.
    account_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    network_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    response_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class ReviewStats(Base):
    """A listing's review aggregates, so indexing never reads the reviews: published reviews per
    star, and the verified visits among them per star (`verified_1`..`verified_5`).

    Kept incrementally by every review change (`registry.reviews`); `changed_at` is when the
    reviews last changed: a review change never writes the listing row.
    """

    __tablename__ = "review_stats"

    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), primary_key=True)
    stars_1: Mapped[int] = mapped_column(Integer, default=0)
    stars_2: Mapped[int] = mapped_column(Integer, default=0)
    stars_3: Mapped[int] = mapped_column(Integer, default=0)
    stars_4: Mapped[int] = mapped_column(Integer, default=0)
    stars_5: Mapped[int] = mapped_column(Integer, default=0)
    verified_1: Mapped[int] = mapped_column(Integer, default=0)
    verified_2: Mapped[int] = mapped_column(Integer, default=0)
    verified_3: Mapped[int] = mapped_column(Integer, default=0)
    verified_4: Mapped[int] = mapped_column(Integer, default=0)
    verified_5: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """Who changed which listing, when, from where (feed, clinic, admin), and what changed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict] = mapped_column(JSON)


class ReminderSent(Base):
    """A reminder mailed to a clinic, so `python -m indexer reminders` sends each one once.

    `key` names what it is about: a fact group and the confirmation it is about ("prices@<time>"),
    or a credential and its expiry ("registered-nurse:NC-RN-1@2026-12-01").
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("clinic_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # stale-facts, credential-expiry
    key: Mapped[str] = mapped_column(String(255))
    sent_to: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxEntry(Base):
    """A listing whose search document must be (re)written; removed once Elasticsearch has it.

    `attempts` and `last_error` record failed tries; `next_attempt_at` is set when Elasticsearch
    refused the document itself (not when it was down), so the row waits and others go first.
    """

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CredentialClaim(Base):
    """A credential a clinic claims; an administrator verifies or rejects it with a reason."""

    __tablename__ = "credential_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, verified, rejected
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ListingReport(Base):
    """A consumer's "report a problem with this listing"."""

    __tablename__ = "listing_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(254), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # open, resolved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Photo(Base):
    """A before/after photo: metadata here, the re-encoded files in the photo store."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), index=True)
    file_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    extension: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16), default="before-after")
    position: Mapped[int] = mapped_column(Integer, default=0)
    consent: Mapped[bool] = mapped_column(Boolean)
    uploaded_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Hidden by an administrator (kept, and shown to the clinic with the reason).
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A reviewer's photo belongs to the review (shown with it, once it is published).
    review_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("reviews.id"), nullable=True)

    @property
    def public(self) -> bool:
        return self.consent and self.hidden_at is None


# --- people and partners --------------------------------------------------------------------


class Account(Base):
    """A person who signs in: a clinic's staff (one listing) or an administrator (all)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    clinic_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("clinics.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # Flask-Login's interface
    is_authenticated = True
    is_active = True
    is_anonymous = False
    session_token = None  # the signed-in session's token, set by registry.accounts (not a column)

    def get_id(self) -> str | None:
        """What the session cookie names: the random token of this login session (LoginSession)."""
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit(self, clinic_id: str) -> bool:
        return self.is_admin or self.clinic_id == clinic_id


class LoginSession(Base):
    """A signed-in browser: its cookie holds a random token, of which only the digest is kept here.

    Signing out deletes the row, so a copied cookie stops working at once; a password change
    deletes every row of the account.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountLink(Base):
    """A one-time, expiring link to set a password (invitation or reset); only its hash is kept."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Partner(Base):
    """A partner site's API key (only its SHA-256 is stored), rate limit and CORS origins."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[str] = mapped_column(String(50))
    origins: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RateLimit(Base):
    """A fixed-window counter shared by every app process: API keys, addresses, logins
    (registry/ratelimits.py)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # the window's end, Unix time


# --- consumers: consultation requests, review moderation, dashboard counters ------------------


class ConsultationRequest(Base):
    """A consumer's request for a consultation, in the clinic's inbox.

    `state` goes new -> contacted -> booked -> completed, or to declined (by the clinic) or
    withdrawn (by the consumer). The contact fields are erased (`erased_at` set) a retention
    period after the last state change, or at once when the consumer asks; the row stays so the
    clinic's counts stay true.
    """

    __tablename__ = "consultation_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), ForeignKey("clinics.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    treatment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    preferences: Mapped[dict] = mapped_column(JSON)  # {"days": ["mon", ...], "times": ["morning", ...]}
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ConsumerLink(Base):
    """A link mailed to a consumer, kept only as the digest of its token: a request's status page
    (`request`), an invitation to review a completed visit (`invite`, one use), a review's email
    confirmation (`confirm`, one use) or its author's edit page (`edit`)."""

    __tablename__ = "consumer_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("consultation_requests.id"), nullable=True, index=True
    )
    review_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("reviews.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewDecision(Base):
    """The moderation log: one row per decision on a consumer's review, automatic or by an
    administrator, with its reason code (`registry.policy`). Profiles and the API count it."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer, ForeignKey("reviews.id"), index=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))  # publish, hold, remove
    reason: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(254))  # "automatic checks" or an administrator
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewFlag(Base):
    """A clinic's request that administrators check a review against the policy. The review
    stays published meanwhile: a flag can bring a review to the queue, never take it down."""

    __tablename__ = "review_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer, ForeignKey("reviews.id"), index=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    flagged_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewVote(Base):
    """One "this review was helpful" per review and client (only a digest of the client is kept)."""

    __tablename__ = "review_votes"

    review_id: Mapped[int] = mapped_column(Integer, ForeignKey("reviews.id"), primary_key=True)
    voter_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class DailyCount(Base):
    """A listing's count of one thing (profile views, contact clicks, requests) on one day (UTC),
    written in batches by each app process (`registry.counters`)."""

    __tablename__ = "daily_counts"

    clinic_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
