"""What administrators look after: credential claims to decide, consumer reports to resolve,
listings that search refused, and the audit trail of a listing; long lists come a page at a time.
(Deciding a claim changes the listing: `listings.decide_claim`.)"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import listings, outbox, vocabulary
from registry.db import now
from registry.models import AuditEntry, CredentialClaim, ListingReport

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    """One page of a list an administrator works through: its items and how many there are in all."""

    items: list
    total: int
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _page_number(number: int, total: int, size: int = PAGE_SIZE) -> int:
    """`number` kept within 1 and the last page (a page past the end shows the last)."""
    return min(max(1, number), max(1, -(-total // size)))


def _page(session: Session, query, number: int, size: int = PAGE_SIZE) -> Page:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    number = _page_number(number, total, size)
    items = list(session.scalars(query.offset((number - 1) * size).limit(size)))
    return Page(items, total, number, size)


@dataclass(frozen=True)
class ClaimView:
    """A claim with what an administrator checks it against: the listing and the issuer's register."""

    claim: CredentialClaim
    credential: str  # its name
    issuer: str | None
    expires: str | None
    register_url: str | None  # the issuer's public register, when one is known
    place: str  # the listing's "City, ST"


@dataclass(frozen=True)
class Queue:
    claims: Page  # of ClaimView
    reports: Page  # of ListingReport
    names: dict[str, str]  # listing id -> name, for both


def claim_views(session: Session, claims: list[CredentialClaim]) -> list[ClaimView]:
    """Each claim beside the credential as the listing states it (issuer, expiry) and its register."""
    records = {
        cid: listing.record
        for cid, listing in listings.get_many(session, {c.clinic_id for c in claims}).items()
    }
    known = vocabulary.certifications()
    views = []
    for claim in claims:
        record = records.get(claim.clinic_id, {})
        stated = next(
            (
                c
                for c in record.get("certifications", [])
                if c["code"] == claim.code and (c.get("number") or None) == claim.number
            ),
            {},
        )
        info = known.get(claim.code, {})
        address = record.get("address", {})
        template = info.get("register_url")
        views.append(
            ClaimView(
                claim=claim,
                credential=info.get("name", claim.code),
                issuer=stated.get("issuer") or info.get("issuer"),
                expires=stated.get("expires"),
                register_url=template.format_map(
                    defaultdict(str, number=claim.number or "", state=address.get("state", ""))
                )
                if template
                else None,
                place=", ".join(p for p in (address.get("city"), address.get("state")) if p),
            )
        )
    return views


def queue(engine: Engine, claims_page: int = 1, reports_page: int = 1) -> Queue:
    """Pending claims and open reports, oldest first, a page of each, with the names of their listings."""
    with Session(engine) as session:
        claims = _page(
            session,
            select(CredentialClaim).where(CredentialClaim.status == "pending").order_by(CredentialClaim.id),
            claims_page,
        )
        reports = _page(
            session,
            select(ListingReport).where(ListingReport.status == "open").order_by(ListingReport.id),
            reports_page,
        )
        names = listings.names(session, {x.clinic_id for x in [*claims.items, *reports.items]})
        views = Page(claim_views(session, claims.items), claims.total, claims.number)
        return Queue(views, reports, names)


def refusals(engine: Engine, number: int = 1) -> Page:
    """Listings whose latest change Elasticsearch refused (so search still shows an older version)."""
    _, total = outbox.refusals(engine, 0, 0)
    number = _page_number(number, total)
    items, total = outbox.refusals(engine, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    return Page(items, total, number)


@dataclass(frozen=True)
class Decisions:
    claims: list[ClaimView]  # verified or rejected
    reports: list[ListingReport]  # resolved
    names: dict[str, str]


def decisions(engine: Engine, limit: int = 100) -> Decisions:
    """Past decisions, newest first: claims verified or rejected, reports resolved."""
    with Session(engine, expire_on_commit=False) as session:
        claims = list(
            session.scalars(
                select(CredentialClaim)
                .where(CredentialClaim.status != "pending")
                .order_by(CredentialClaim.decided_at.desc(), CredentialClaim.id.desc())
                .limit(limit)
            )
        )
        reports = list(
            session.scalars(
                select(ListingReport)
                .where(ListingReport.status == "resolved")
                .order_by(ListingReport.resolved_at.desc(), ListingReport.id.desc())
                .limit(limit)
            )
        )
        names = listings.names(session, {x.clinic_id for x in [*claims, *reports]})
        return Decisions(claim_views(session, claims), reports, names)


def claim(engine: Engine, claim_id: int) -> CredentialClaim | None:
    with Session(engine) as session:
        return session.get(CredentialClaim, claim_id)


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
