"""Listings in the store, and THE one way to change one.

Every write of a listing goes through this module: feed rows (one by one or in batches), the
clinic form, an administrator's decision on a credential claim. A write sets the listing's
`changed_at` (and, for edits, `updated_at`), and in the same transaction adds the audit row
and, for edits made here rather than by the indexer, an outbox row that gets the change into
search (`indexer.sync`). The form's save also checks the version it was opened with.

Elasticsearch is derived from this store and can be rebuilt from it at any time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import orjson
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry import outbox, provenance, reviews
from registry.db import JsonText, as_utc, now, reading
from registry.derive import Ratings
from registry.models import AuditEntry, Clinic, CredentialClaim, ReviewStats
from registry.schema import is_valid_id


class VersionConflict(Exception):
    """Someone saved the listing after the version the form was opened with."""


@dataclass(frozen=True)
class Listing:
    """A stored listing: its record (no reviews), its version and its review aggregates."""

    record: dict
    version: int
    ratings: Ratings
    facts: dict  # provenance of each group of facts (registry.provenance), completed


class Indexed(NamedTuple):
    """A stored listing as indexing reads it: record, review aggregates, provenance of its facts."""

    record: dict
    ratings: Ratings
    facts: dict


def _json(value) -> str:
    """orjson for values the schema validated (so no NaN); what it declines goes through json."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # lone surrogates, integers beyond 64 bits
        return json.dumps(value)


class FeedRow(NamedTuple):
    """A validated feed record split for the store, made once (in a worker process).

    The listing as JSON text (the record without its reviews), the reviews as row tuples and
    their aggregates: tuples of strings and numbers, which cost the worker pool far less to hand
    to the writing process than the record as a dict (~2 µs against ~28 for a record without
    reviews), and which the store takes as they are.
    """

    id: str
    updated_at: str | None
    json: str
    reviews: tuple[tuple, ...]  # (review id, rating, date ISO, verified, {title, text, author} as JSON)
    ratings: Ratings

    @classmethod
    def of(cls, record: dict) -> FeedRow:
        found = record.get("reviews") or []
        return cls(
            record["id"],
            record.get("updated_at"),
            _json({k: v for k, v in record.items() if k != "reviews"}),
            tuple(reviews.row_values(r) for r in found),
            Ratings.of(found),
        )

    def record(self) -> dict:
        """The listing's record (without reviews)."""
        return json.loads(self.json)


# --- feeds ----------------------------------------------------------------------------------


def upsert(
    session: Session, record: dict, source: str, changed_at: datetime | None = None, feed: str | None = None
) -> bool:
    """Store one validated record as feeds send it; False when a newer stored version wins."""
    stored, _ = upsert_many(session, [FeedRow.of(record)], source, changed_at, feed=feed)
    return bool(stored)


def upsert_many(
    session: Session,
    rows: list[FeedRow],
    source: str,
    changed_at: datetime | None = None,
    *,
    feed: str | None = None,
    facts_of: dict | None = None,
) -> tuple[list[str], int]:
    """Store a batch of feed rows; return (ids stored, how many a newer stored version kept out).

    A row never replaces a listing whose stored `updated_at` is newer than its own, so a
    clinic's recent edit survives the re-import of an older feed; the audit trail records
    both the changes applied (reviews aside) and the rows skipped. A stored row's reviews are
    replaced by the row's. New listings go in with one executemany per table. Within a batch
    the last row of an id wins, as it would row by row. `changed_at` defaults to now; a full
    load passes its own start time, which is how its catch-up tells its own writes apart.

    A stored row confirms every group of facts of its record, by `feed:<feed>` (or `source`
    without a feed name), and changes those that differ; `facts_of`, when given, is filled with
    each stored listing's facts ({id: facts}), for its search document.
    """
    stamp = changed_at or now()
    by = f"feed:{feed}" if feed else source
    groups = provenance.RECORD_GROUPS
    facts_of = {} if facts_of is None else facts_of
    by_id = {r.id: r for r in rows}
    known = {row.id: row for row in session.scalars(select(Clinic).where(Clinic.id.in_(list(by_id))))}
    stored, kept, new, replaced = [], 0, [], []
    for rid, item in by_id.items():
        updated = _time(item.updated_at)
        row = known.get(rid)
        if row is None:
            facts_of[rid] = provenance.stamped(None, groups, by, stamp, changed=groups)
            new.append(
                {"id": rid, "record": JsonText(item.json), "updated_at": updated, "source": source}
                | {"facts": facts_of[rid]}
            )
            stored.append(rid)
            continue
        if as_utc(row.updated_at) > updated:
            changes = {"updated_at": [row.record.get("updated_at"), item.updated_at]}
            audit(session, rid, source, source, "kept-newer", changes)
            kept += 1
            continue
        record = item.record()
        changes = diff(row.record, record)
        if changes:
            audit(session, rid, source, source, "update", changes)
        facts = provenance.complete(row.facts, row.record.get("updated_at"), row.source)
        changed = provenance.changed_groups(row.record, record)
        facts_of[rid] = row.facts = provenance.stamped(facts, groups, by, stamp, changed)
        row.record, row.updated_at, row.source, row.changed_at = record, updated, source, stamp
        replaced.append(rid)
        stored.append(rid)
    if new:
        session.execute(insert(Clinic.__table__), [{**r, "changed_at": stamp, "version": 1} for r in new])
    reviews.store_feed_reviews(session, [by_id[rid] for rid in stored], stamp, replacing=replaced)
    return stored, kept


def _time(updated: str | None) -> datetime:
    return as_utc(datetime.fromisoformat(updated)).astimezone(UTC) if updated else now()


# --- edits ----------------------------------------------------------------------------------


def save(
    engine: Engine,
    clinic_id: str,
    record: dict,
    *,
    version: str,
    actor: str,
    source: str,
    claims: Iterable[dict] = (),
) -> None:
    """Save the clinic form: the listing, its audit row, new credential claims and an outbox row.

    Raises VersionConflict when the listing was saved since `version` (the form's), also when
    a concurrent save wins the race between this check and the write.
    """
    with Session(engine) as session:
        row = session.get(Clinic, clinic_id)
        if row is None or str(row.version) != version:
            raise VersionConflict(clinic_id)
        stamp = now()
        record = {k: v for k, v in record.items() if k != "reviews"} | {"updated_at": stamp.isoformat()}
        changes = diff(row.record, record)
        changes.pop("updated_at", None)
        changed = provenance.changed_groups(row.record, record)
        facts = provenance.complete(row.facts, row.record.get("updated_at"), row.source)
        row.facts = provenance.stamped(facts, changed, source, stamp, changed)
        row.record, row.updated_at, row.changed_at, row.source = record, stamp, stamp, source
        audit(session, clinic_id, actor, source, "edit", changes)
        for claim in claims:
            session.add(
                CredentialClaim(
                    clinic_id=clinic_id,
                    code=claim["code"],
                    number=claim.get("number"),
                    status="pending",
                    created_at=stamp,
                )
            )
        outbox.enqueue(session, clinic_id)
        try:
            session.commit()  # UPDATE ... WHERE version = loaded version: a concurrent save fails here
        except StaleDataError as err:
            raise VersionConflict(clinic_id) from err


def decide_claim(engine: Engine, claim_id: int, decision: str, reason: str | None, actor: str) -> str | None:
    """Verify a pending credential claim (valid in search from now on) or reject it with a reason
    the clinic sees (the credential leaves the public listing). Returns the claim's new status,
    None when there is no such pending claim."""
    with Session(engine) as session, session.begin():
        claim = session.get(CredentialClaim, claim_id)
        if claim is None or claim.status != "pending":
            return None
        row = session.get(Clinic, claim.clinic_id)
        stamp = now()
        certs = []
        for cert in row.record.get("certifications", []):
            matches = cert["code"] == claim.code and (cert.get("number") or None) == claim.number
            if matches and not cert.get("verified"):
                if decision == "reject":
                    continue
                cert = {**cert, "verified": True, "verified_at": stamp.isoformat()}
            certs.append(cert)
        facts = provenance.complete(row.facts, row.record.get("updated_at"), row.source)
        row.facts = provenance.stamped(facts, ["credentials"], "admin", stamp, ["credentials"])
        row.record = {**row.record, "certifications": certs, "updated_at": stamp.isoformat()}
        row.updated_at, row.changed_at = stamp, stamp
        claim.status = "verified" if decision == "verify" else "rejected"
        claim.reason, claim.decided_by, claim.decided_at = reason or None, actor, stamp
        changes = {"certification": [claim.code, claim.status], "reason": [None, reason or None]}
        audit(session, claim.clinic_id, actor, "admin", f"credential-{claim.status}", changes)
        outbox.enqueue(session, claim.clinic_id)
        return claim.status


def confirm(engine: Engine, clinic_id: str, groups: Iterable[str], *, actor: str, source: str) -> list[str]:
    """Confirm that groups of a listing's facts are still right, unchanged: their confirmation date
    becomes now (audited as "confirm", indexed through the outbox). Returns the groups confirmed."""
    wanted = [g for g in provenance.GROUPS if g in set(groups)]
    with Session(engine) as session, session.begin():
        if not wanted or not _restamp(session, clinic_id, wanted, source, changed=False):
            return []
        audit(session, clinic_id, actor, source, "confirm", {"confirmed": [None, wanted]})
    return wanted


def photos_changed(session: Session, clinic_id: str, source: str) -> None:
    """In the caller's transaction: the listing's photos changed (added, edited, removed, hidden)."""
    _restamp(session, clinic_id, ["photos"], source, changed=True)


def _restamp(session: Session, clinic_id: str, groups: list[str], source: str, changed: bool) -> bool:
    """Stamp groups of facts confirmed (and `changed`) now, and queue the listing for indexing.

    A plain UPDATE, not through the ORM, so the listing's version stays: confirming or adding a
    photo never makes a listing form open in another tab conflict.
    """
    row = session.execute(
        select(Clinic.record, Clinic.facts, Clinic.source).where(Clinic.id == clinic_id)
    ).first()
    if row is None:
        return False
    stamp = now()
    facts = provenance.complete(row.facts, row.record.get("updated_at"), row.source)
    facts = provenance.stamped(facts, groups, source, stamp, groups if changed else ())
    session.execute(update(Clinic).where(Clinic.id == clinic_id).values(facts=facts, changed_at=stamp))
    outbox.enqueue(session, clinic_id)
    return True


def diff(old: dict | None, new: dict) -> dict:
    """Top-level fields that differ: {field: [old, new]} (the whole record when created)."""
    if old is None:
        return {"created": [None, new.get("name")]}
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def audit(session: Session, clinic_id: str, actor: str, source: str, action: str, changes: dict) -> None:
    """Add an audit row in the caller's transaction (listing edits, feed rows, photos)."""
    session.add(
        AuditEntry(clinic_id=clinic_id, at=now(), actor=actor, source=source, action=action, changes=changes)
    )


# --- reading --------------------------------------------------------------------------------

_RATINGS = [getattr(ReviewStats, column) for column in reviews.STATS_COLUMNS[1:-1]]


def _with_ratings(columns):
    return select(*columns, *_RATINGS).outerjoin(ReviewStats, ReviewStats.clinic_id == Clinic.id)


def _ratings(row) -> Ratings:
    return Ratings(*(n or 0 for n in row[-len(_RATINGS) :]))


def _facts(row) -> dict:
    return provenance.complete(row.facts, row.record.get("updated_at"), row.source)


_INDEXED = [Clinic.id, Clinic.record, Clinic.facts, Clinic.source]


def get(bind: Engine | Session, clinic_id: str) -> Listing | None:
    with reading(bind) as session:
        row = session.execute(
            _with_ratings([*_INDEXED, Clinic.version]).where(Clinic.id == clinic_id)
        ).first()
    return None if row is None else Listing(row.record, row.version, _ratings(row), _facts(row))


def get_many(session: Session, ids: Iterable[str]) -> dict[str, Indexed]:
    """{id: (record, ratings, facts)} of the stored listings among `ids`: what indexing needs."""
    rows = session.execute(_with_ratings(_INDEXED).where(Clinic.id.in_(list(ids))))
    return {r.id: Indexed(r.record, _ratings(r), _facts(r)) for r in rows}


def iter_listings(session: Session, batch: int = 1000) -> Iterator[Indexed]:
    """Every stored listing as (record, ratings, facts), streamed in id order."""
    last = ""
    while True:
        query = _with_ratings(_INDEXED).where(Clinic.id > last)
        rows = session.execute(query.order_by(Clinic.id).limit(batch)).all()
        if not rows:
            return
        yield from (Indexed(r.record, _ratings(r), _facts(r)) for r in rows)
        last = rows[-1].id


def iter_records(session: Session, batch: int = 1000) -> Iterator[dict]:
    """Every stored record as feeds send it (reviews included), streamed in id order."""
    last = ""
    while True:
        rows = session.execute(
            select(Clinic.id, Clinic.record).where(Clinic.id > last).order_by(Clinic.id).limit(batch)
        ).all()
        if not rows:
            return
        found = reviews.of_listings(session, [r.id for r in rows])
        yield from (reviews.as_feed_record(r.record, found.get(r.id, [])) for r in rows)
        last = rows[-1].id


def changed_since(session: Session, since: datetime, except_at: datetime | None = None) -> list[str]:
    """Ids of listings whose row or reviews were written at or after `since`, in id order;
    `except_at` leaves out what was written at exactly that time (by the caller itself)."""
    listing = select(Clinic.id).where(Clinic.changed_at >= since)
    review = select(ReviewStats.clinic_id).where(ReviewStats.changed_at >= since)
    if except_at is not None:
        listing = listing.where(Clinic.changed_at != except_at)
        review = review.where(ReviewStats.changed_at != except_at)
    return sorted(set(session.scalars(listing)) | set(session.scalars(review)))


def export(bind: Engine | Session, since: datetime, batch: int = 500) -> Iterator[dict]:
    """Every record (as feeds send it, reviews included) updated after `since`, oldest first."""
    with reading(bind) as session:
        yield from _export(session, since, batch)


def _export(session: Session, since: datetime, batch: int) -> Iterator[dict]:
    last = (since, "")
    while True:
        rows = session.execute(
            select(Clinic.id, Clinic.updated_at, Clinic.record)
            .where((Clinic.updated_at > last[0]) | ((Clinic.updated_at == last[0]) & (Clinic.id > last[1])))
            .order_by(Clinic.updated_at, Clinic.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        found = reviews.of_listings(session, [r.id for r in rows])
        yield from (reviews.as_feed_record(r.record, found.get(r.id, [])) for r in rows)
        last = (as_utc(rows[-1].updated_at), rows[-1].id)


def names(bind: Engine | Session, ids: Iterable[str]) -> dict[str, str]:
    with reading(bind) as session:
        rows = session.execute(select(Clinic.id, Clinic.record).where(Clinic.id.in_(set(ids))))
        return {r.id: r.record["name"] for r in rows}


def count(bind: Engine | Session) -> int:
    with reading(bind) as session:
        return session.scalar(select(func.count()).select_from(Clinic))


def exists(bind: Engine | Session, clinic_id: str) -> bool:
    """Is there a listing with this id? (False for anything that cannot be an id.)"""
    if not is_valid_id(clinic_id):
        return False
    with reading(bind) as session:
        return session.scalar(select(Clinic.id).where(Clinic.id == clinic_id)) is not None


def page_by_id(bind: Engine | Session, offset: int, limit: int) -> list[tuple[dict, datetime]]:
    """(record, updated_at) of a slice of the listings in id order (the sitemap's files)."""
    with reading(bind) as session:
        rows = session.execute(
            select(Clinic.record, Clinic.updated_at).order_by(Clinic.id).offset(offset).limit(limit)
        ).all()
    return [(r.record, as_utc(r.updated_at)) for r in rows]
