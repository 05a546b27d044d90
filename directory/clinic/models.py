"""Store tables of clinic self-service: accounts, one-time links, claims, reports, photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from indexer.store import Base

ROLES = ("clinic", "admin")


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

    def get_id(self) -> str:
        """The session id: account id plus a fingerprint of the password hash."""
        return f"{self.id}:{(self.password_hash or '')[-16:]}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit(self, clinic_id: str) -> bool:
        return self.is_admin or self.clinic_id == clinic_id


class AccountLink(Base):
    """A one-time, expiring link to set a password (invitation or reset); only its hash is kept."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


REPORT_KINDS = {
    "wrong-address": "Wrong address or location",
    "closed": "The clinic has closed",
    "false-credential": "A credential looks false",
    "wrong-details": "Wrong hours, prices or treatments",
    "other": "Something else",
}
