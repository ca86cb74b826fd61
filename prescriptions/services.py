"""Writes to the prescriptions domain."""

import logging

from django.db import transaction

from prescriptions import identity
from prescriptions.models import AccessLogEntry, Person
from prescriptions.subject import Subject

logger = logging.getLogger(__name__)


def record_access(subject: Subject, page: str, item: str = "") -> AccessLogEntry:
    """The one writer of the access log. Called before health data is rendered; if it fails, the
    exception propagates and the page is not shown."""
    with transaction.atomic():
        return AccessLogEntry.objects.create(
            subject=subject.person, viewer=subject.viewer, basis=subject.basis, page=page, item=item[:64]
        )


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
