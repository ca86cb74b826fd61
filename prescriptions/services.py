"""Writes to the prescriptions domain."""

import logging
from contextlib import nullcontext

from django.db import DatabaseError, transaction

from prescriptions import identity
from prescriptions.models import AccessLogEntry, Person
from prescriptions.subject import Subject

logger = logging.getLogger(__name__)


class AccessLogUnavailable(Exception):
    """The access log could not be written, so the page with health data must not be shown.
    The proxies middleware turns it into a "try again later" page without the data."""


def record_access(subject: Subject, page: str, item: str = "") -> AccessLogEntry:
    """The one writer of the access log. Called before health data is rendered; if the write fails,
    AccessLogUnavailable propagates and the page is not shown."""
    entry = AccessLogEntry(
        subject=subject.person, viewer=subject.viewer, basis=subject.basis, page=page, item=item[:64]
    )
    # Inside a transaction, a savepoint of its own keeps a failed insert from breaking the rest. In
    # autocommit (every request) the insert is its own transaction: one round trip, no BEGIN/COMMIT.
    savepoint = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
    try:
        with savepoint:
            entry.save(force_insert=True)
        return entry
    except DatabaseError as exc:
        logger.error("access log write failed; page withheld", extra={"page": page, "basis": subject.basis})
        raise AccessLogUnavailable from exc


def person_for_login(national_id: str, given_name: str = "", family_name: str = "") -> Person:
    """The Person behind a verified login. The registry is the source of people; someone it has not
    sent us yet still gets a record, so their (empty) pages and access log work."""
    number = identity.parse(national_id)
    person, created = Person.objects.get_or_create(
        national_id=number.value,
        defaults={"given_name": given_name, "family_name": family_name, "birth_date": number.birth_date()},
    )
    if created:
        logger.info("person created at first login", extra={"person_id": person.pk})
    return person
