"""Reminders to clinics: facts getting stale, credentials about to expire. Each is sent once.

`send_reminders` is what `python -m indexer reminders` runs (from cron, daily say). For every
listing with clinic staff accounts it finds

- groups of facts not confirmed for `max_age_days - STALE_NOTICE_DAYS` days: about to be shown as
  possibly out of date, or already shown so;
- verified credentials that expire within CREDENTIAL_NOTICE_DAYS;

and mails the listing's staff one message naming each new item. An item is recorded in
`reminders_sent` (unique per listing, kind and key) in the same transaction as it is mailed,
so running the command twice sends nothing the second time. The key names the occasion: a group
and the confirmation it is about ("prices@2026-05-05T..."), a credential and its expiry; a new
confirmation or a renewed credential is a new occasion.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry import provenance, vocabulary
from registry.db import now
from registry.mail import Mailer, MailError
from registry.models import Account, Clinic, ReminderSent

STALE_NOTICE_DAYS = 30
CREDENTIAL_NOTICE_DAYS = 30


@dataclass
class Item:
    kind: str  # stale-facts, credential-expiry
    key: str
    line: str


@dataclass
class RemindersReport:
    clinics: int = 0
    messages: int = 0
    items: int = 0
    failed: list[str] = field(default_factory=list)  # listings whose mail could not be sent: next run


def due_items(record: dict, facts: dict, today: date, max_age_days: int) -> list[Item]:
    """What a listing's staff should hear about today (sent or not)."""
    items = []
    notice_after = max_age_days - STALE_NOTICE_DAYS
    for group, entry in facts.items():
        confirmed = entry.get("confirmed_at")
        if group not in provenance.GROUPS or not confirmed:
            continue
        day = datetime.fromisoformat(confirmed).date()
        if day <= today - timedelta(days=notice_after):
            shown = day + timedelta(days=max_age_days)
            when = "is shown" if shown <= today else f"will show from {_day(shown)}"
            line = (
                f"{provenance.LABELS[group]}: last confirmed on {_day(day)}; your listing {when} "
                "as possibly out of date. Confirm it in your listing form if nothing changed."
            )
            items.append(Item("stale-facts", f"{group}@{confirmed}", line))
    names = vocabulary.certifications()
    for cert in record.get("certifications", []):
        expires = cert.get("expires")
        if not cert.get("verified") or not expires:
            continue
        day = date.fromisoformat(expires)
        if today <= day <= today + timedelta(days=CREDENTIAL_NOTICE_DAYS):
            name = cert.get("name") or names.get(cert["code"], {}).get("name", cert["code"])
            number = f" ({cert['number']})" if cert.get("number") else ""
            line = (
                f"{name}{number} expires on {_day(day)}. Enter the renewed expiry date in your listing "
                "form so our team can check it; until then it will show as expired."
            )
            items.append(
                Item("credential-expiry", f"{cert['code']}:{cert.get('number') or ''}@{expires}", line)
            )
    return items


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def send_reminders(
    engine: Engine, mailer: Mailer, *, today: date, max_age_days: int, listing_url: str
) -> RemindersReport:
    """Mail each listing's staff the reminders not sent before; record them. Idempotent."""
    report = RemindersReport()
    with Session(engine) as session:
        staff: dict[str, list[str]] = defaultdict(list)
        for clinic_id, email in session.execute(
            select(Account.clinic_id, Account.email).where(
                Account.role == "clinic", Account.clinic_id.is_not(None)
            )
        ):
            staff[clinic_id].append(email)
    for clinic_id, emails in sorted(staff.items()):
        try:
            sent = _remind(engine, mailer, clinic_id, emails, today, max_age_days, listing_url)
        except MailError:  # nothing recorded: the next run tries again
            report.failed.append(clinic_id)
            continue
        if sent:
            report.clinics += 1
            report.messages += len(emails)
            report.items += sent
    return report


def _remind(engine, mailer, clinic_id, emails, today, max_age_days, listing_url) -> int:
    """Mail one listing's new reminders and record them in one transaction; how many items."""
    with Session(engine) as session, session.begin():
        row = session.get(Clinic, clinic_id)
        if row is None:
            return 0
        facts = provenance.complete(row.facts, row.record.get("updated_at"), row.source)
        sent = {
            (kind, key)
            for kind, key in session.execute(
                select(ReminderSent.kind, ReminderSent.key).where(ReminderSent.clinic_id == clinic_id)
            )
        }
        new = [i for i in due_items(row.record, facts, today, max_age_days) if (i.kind, i.key) not in sent]
        if not new:
            return 0
        stamp = now()
        for item in new:
            session.add(
                ReminderSent(
                    clinic_id=clinic_id,
                    kind=item.kind,
                    key=item.key,
                    sent_to=", ".join(emails),
                    sent_at=stamp,
                )
            )
        session.flush()  # a concurrent run's rows make this one fail before anything is mailed
        subject, body = compose(row.record["name"], new, listing_url)
        for email in emails:
            mailer.send(email, subject, body)
        return len(new)


def compose(name: str, items: list[Item], listing_url: str) -> tuple[str, str]:
    """The reminder's subject and text."""
    expiring = any(i.kind == "credential-expiry" for i in items)
    stale = any(i.kind == "stale-facts" for i in items)
    subject = {
        (True, True): f"{name}: please confirm your listing and renew a credential",
        (True, False): f"{name}: please confirm your listing is still right",
        (False, True): f"{name}: a credential expires soon",
    }[(stale, expiring)]
    lines = ["Hello,", "", f"A few things on the listing of {name} need a look:", ""]
    lines += [f"- {i.line}" for i in items]
    lines += [
        "",
        f"Open your listing: {listing_url}",
        "",
        "People see when each part of a listing was last confirmed. Confirming what has not changed",
        "takes one click; anything that changed, edit and save.",
        "",
        "Provider Directory",
    ]
    return subject, "\n".join(lines)
