"""What administrators look after: credential claims to decide, consumer reports to resolve,
and the audit trail of a listing. (Deciding a claim changes the listing: `listings.decide_claim`.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import listings
from registry.db import now
from registry.models import AuditEntry, CredentialClaim, ListingReport


@dataclass(frozen=True)
class Queue:
    claims: list[CredentialClaim]
    reports: list[ListingReport]
    names: dict[str, str]  # listing id -> name, for both


def queue(engine: Engine) -> Queue:
    """Pending claims and open reports, oldest first, with the names of their listings."""
    with Session(engine) as session:
        claims = list(
            session.scalars(
                select(CredentialClaim)
                .where(CredentialClaim.status == "pending")
                .order_by(CredentialClaim.id)
            )
        )
        reports = list(
            session.scalars(
                select(ListingReport).where(ListingReport.status == "open").order_by(ListingReport.id)
            )
        )
        names = listings.names(session, {x.clinic_id for x in [*claims, *reports]})
    return Queue(claims, reports, names)


def claims_of(engine: Engine, clinic_id: str) -> list[CredentialClaim]:
    """A listing's credential claims, newest first (the clinic sees decisions and reasons)."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(CredentialClaim)
                .where(CredentialClaim.clinic_id == clinic_id)
                .order_by(CredentialClaim.id.desc())
            )
        )


def report(engine: Engine, clinic_id: str, kind: str, message: str, contact: str | None) -> None:
    """A consumer's "report a problem with this listing", for the administrators' queue."""
    with Session(engine) as session, session.begin():
        session.add(
            ListingReport(
                clinic_id=clinic_id,
                kind=kind,
                message=message,
                contact=contact,
                status="open",
                created_at=now(),
            )
        )


def resolve_report(engine: Engine, report_id: int, actor: str) -> bool:
    """Mark a report resolved; False when there is no such report."""
    with Session(engine) as session, session.begin():
        found = session.get(ListingReport, report_id)
        if found is None:
            return False
        found.status, found.resolved_by, found.resolved_at = "resolved", actor, now()
        return True


def audit_trail(engine: Engine, clinic_id: str, limit: int = 200) -> list[AuditEntry]:
    """A listing's latest audit entries, newest first."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.clinic_id == clinic_id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
        )
