"""Reads for the pages about the logged-in person: their powers of attorney and their access log.
Each is a fixed number of queries, however many powers or log entries there are."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from prescriptions import selectors as prescription_selectors
from prescriptions.models import AccessLogEntry, Person, Prescription
from proxies import access
from proxies.models import PowerOfAttorney

ACCESS_LOG_PAGE_SIZE = 25


@dataclass(frozen=True)
class PowerRow:
    poa: PowerOfAttorney
    other: Person  # the holder on "granted by me", the grantor on "held by me"
    state: str  # access.PoaState
    ended_by_me: bool


@dataclass(frozen=True)
class PowerLists:
    current: list[PowerRow]
    history: list[PowerRow]


def _split(poas, me: Person, other_side: str, today: datetime.date) -> PowerLists:
    current, history = [], []
    for poa in poas:
        state = access.poa_state(poa, today)
        row = PowerRow(poa, getattr(poa, other_side), state, poa.ended_by_id == me.pk)
        (current if access.poa_is_current(poa, today) else history).append(row)
    return PowerLists(current, history)


def powers_granted_by(person: Person, today: datetime.date) -> PowerLists:
    qs = (
        PowerOfAttorney.objects.filter(grantor=person)
        .select_related("holder", "ended_by")
        .order_by("-starts_on", "-created_at", "-id")
    )
    return _split(qs, person, "holder", today)


def powers_held_by(person: Person, today: datetime.date) -> PowerLists:
    qs = (
        PowerOfAttorney.objects.filter(holder=person)
        .select_related("grantor", "ended_by")
        .order_by("-starts_on", "-created_at", "-id")
    )
    return _split(qs, person, "grantor", today)


def person_by_national_id(number: str) -> Person | None:
    return Person.objects.filter(national_id=number).first()


@dataclass(frozen=True)
class LogRow:
    entry: AccessLogEntry
    is_me: bool
    # The medication of a detail page's prescription, so the owner recognises it.
    medication_name: str


def access_log_page(person: Person, page_number) -> Page:
    """The person's own access log, newest first, one page of rows."""
    page = Paginator(prescription_selectors.access_log(person), ACCESS_LOG_PAGE_SIZE).get_page(page_number)
    entries = list(page.object_list)
    items = {e.item for e in entries if e.item}
    names = {}
    if items:
        # Only the person's own prescriptions: the log is theirs, and so are the items in it.
        names = dict(
            Prescription.objects.filter(patient=person, identifier__in=items).values_list(
                "identifier", "medication__name"
            )
        )
    page.object_list = [LogRow(e, e.viewer_id == person.pk, names.get(e.item, "")) for e in entries]
    return page


def person_by_pk(pk) -> Person | None:
    return Person.objects.filter(pk=pk).first()
