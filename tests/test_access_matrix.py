"""The access matrix: viewer relation × every subject page × date boundaries at midnight Europe/Oslo.

Each row builds its own small world directly in the database, travels in time with time-machine,
logs the viewer in through the real SAML flow, asks the person switch for the subject and opens a
page. Allowed rows must show the subject's data and leave one access-log entry in the subject's log
with the right basis; refused rows must show none of it, log nothing for the subject, and fall back
to the viewer's own prescriptions (with a message when an earlier choice has just expired).

Run it: DEBUG=1 TEST_IDP=1 .venv/bin/python -m pytest tests/test_access_matrix.py -q
"""

import datetime
import decimal
import itertools
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from prescriptions import access_rules
from prescriptions.identity import make_synthetic
from prescriptions.models import (
    AccessLogEntry,
    Dispense,
    Medication,
    Person,
    Pharmacy,
    Practitioner,
    Prescription,
)
from myprescriptions.testidp import idp
from proxies.models import ParentalResponsibility, PowerOfAttorney
from tests.conftest import login as saml_login

OSLO = ZoneInfo("Europe/Oslo")
FALLBACK = "You can no longer view that person"
# A few days ahead of the real date: near enough for the test IdP's certificate, away from today.
BASE = datetime.datetime.now(OSLO).date() + datetime.timedelta(days=3)
_individual = itertools.count(0)


def login(client, national_id):
    """A real SAML login, then the English UI (the assertions here read English; nb is the default)."""
    response = saml_login(client, national_id)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return response


def at(day, hh=12, mm=0, ss=0):
    return datetime.datetime.combine(day, datetime.time(hh, mm, ss), tzinfo=OSLO)


def years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def make_person(name, birth, *, protected="", died=None):
    while True:
        offset = next(_individual)
        start = (500 if birth.year >= 2000 else 0) + offset * 3
        number = make_synthetic(birth, start % 1000)
        if not Person.objects.filter(national_id=number).exists():
            break
    person = Person.objects.create(
        national_id=number, given_name=name, family_name="Test", birth_date=birth,
        protected_address=protected, date_of_death=died,
    )
    _give_prescriptions(person)
    return person


def _medication(name):
    return Medication.objects.get_or_create(code=f"m-{name}", defaults={"name": name, "strength": "1 mg"})[0]


def _prescription(person, name, *, issued, days, reserved=False):
    prescriber = Practitioner.objects.get_or_create(hpr_number="9000001", defaults={"name": "Dr. Matrix"})[0]
    return Prescription.objects.create(
        identifier=f"MX-{person.pk}-{name}", patient=person, medication=_medication(name), prescriber=prescriber,
        issued_on=issued, earliest_dispense_on=issued, expires_on=issued + datetime.timedelta(days=days),
        reiterations=3, quantity_per_dispense=decimal.Decimal("10"), guardian_reserved=reserved,
    )


def _dispense(prescription, day):
    pharmacy = Pharmacy.objects.get_or_create(identifier="7080000000000", defaults={"name": "Matrix apotek"})[0]
    Dispense.objects.create(
        identifier=f"{prescription.identifier}-d", prescription=prescription, patient=prescription.patient,
        handed_over_at=at(day), pharmacy=pharmacy, medication=prescription.medication, quantity=decimal.Decimal("10"),
    )


def markers(person):
    """The medication names that show a person's data on each page."""
    return {"valid": f"Valimed{person.pk}", "history": f"Histomed{person.pk}"}


def _give_prescriptions(person):
    """One valid prescription (dispensed once) and one in history, named after the person."""
    m = markers(person)
    valid = _prescription(person, m["valid"], issued=BASE - datetime.timedelta(days=30), days=365)
    _dispense(valid, BASE - datetime.timedelta(days=20))
    _prescription(person, m["history"], issued=BASE - datetime.timedelta(days=400), days=10)


def give_reserved(child):
    """A 12–15-year-old's prescriptions with a guardian-access reservation: valid+dispensed, and expired."""
    secret = _prescription(child, f"Secretmed{child.pk}", issued=BASE - datetime.timedelta(days=10), days=365,
                           reserved=True)
    _dispense(secret, BASE - datetime.timedelta(days=5))
    _prescription(child, f"Secrethist{child.pk}", issued=BASE - datetime.timedelta(days=500), days=30, reserved=True)
    return secret


def poa(grantor, holder, *, starts, ends=None, ended_at=None, ended_by=None):
    return PowerOfAttorney.objects.create(
        grantor=grantor, holder=holder, starts_on=starts, ends_on=ends, ended_at=ended_at, ended_by=ended_by
    )


def adult(name, **kw):
    return make_person(name, years_before(BASE, 40), **kw)


# --- The rows. Each build() returns (viewer, subject, extra) ---


def self_adult():
    p = adult("Selma")
    return p, p, {}


def self_child_14_with_reservation():
    # The child herself sees what her parents cannot: proves the hiding below can fail.
    child = make_person("Ella", years_before(BASE, 14) - datetime.timedelta(days=100))
    return child, child, {"reserved": give_reserved(child)}


def child(age, *, birthday_offset=100, parent_kw=None, child_kw=None):
    def build():
        parent = adult("Paula", **(parent_kw or {}))
        kid = make_person("Kid", years_before(BASE, age) - datetime.timedelta(days=birthday_offset), **(child_kw or {}))
        ParentalResponsibility.objects.create(parent=parent, child=kid)
        return parent, kid, {}

    return build


def child_14_with_reservation():
    parent, kid, _ = child(14)()
    return parent, kid, {"reserved": give_reserved(kid)}


def child_turning_16_on_base():
    # 16th birthday is BASE: 15 until 23:59:59 the day before.
    parent = adult("Paula")
    kid = make_person("Kid", years_before(BASE, 16))
    ParentalResponsibility.objects.create(parent=parent, child=kid)
    return parent, kid, {}


def with_poa(*, starts=None, ends=None, ended_at=None, ended_by="", grantor_kw=None, holder_kw=None):
    def build():
        holder = adult("Holger", **(holder_kw or {}))
        grantor = adult("Greta", **(grantor_kw or {}))
        by = {"grantor": grantor, "holder": holder}.get(ended_by)
        poa(grantor, holder, starts=starts or BASE - datetime.timedelta(days=100), ends=ends, ended_at=ended_at,
            ended_by=by)
        return holder, grantor, {}

    return build


def principal_of_my_principal():
    me, principal, top = adult("Holger"), adult("Per"), adult("Berit")
    poa(principal, me, starts=BASE - datetime.timedelta(days=100))
    poa(top, principal, starts=BASE - datetime.timedelta(days=100))
    return me, top, {}


def child_of_my_principal():
    me, principal = adult("Holger"), adult("Per")
    kid = make_person("Kid", years_before(BASE, 9))
    ParentalResponsibility.objects.create(parent=principal, child=kid)
    poa(principal, me, starts=BASE - datetime.timedelta(days=100))
    return me, kid, {}


def stranger():
    return adult("Nils"), adult("Stina"), {}


def deceased_viewer():
    p = adult("Dag", died=BASE - datetime.timedelta(days=1))
    return p, p, {}


DAY_BEFORE = BASE - datetime.timedelta(days=1)
NEXT_DAY = BASE + datetime.timedelta(days=1)


@dataclass(frozen=True)
class Row:
    id: str
    build: object
    allowed: bool
    basis: str | None = None
    # When the viewer logs in and chooses; the page is then opened at `view_at`.
    choose_at: datetime.datetime = field(default_factory=lambda: at(BASE))
    view_at: datetime.datetime | None = None
    logged_out: bool = False

    @property
    def crosses_boundary(self):
        return self.view_at is not None and self.view_at != self.choose_at


ROWS = [
    Row("self", self_adult, True, "self"),
    Row("self-child-14-sees-own-reserved", self_child_14_with_reservation, True, "self"),
    Row("child-9", child(9), True, "parent"),
    Row("child-14-reserved", child_14_with_reservation, True, "parent"),
    Row("child-day-before-16th-birthday-23:59:59", child_turning_16_on_base, True, "parent",
        choose_at=at(DAY_BEFORE, 23, 59, 59)),
    Row("child-16th-birthday-at-midnight-after-choosing", child_turning_16_on_base, False,
        choose_at=at(DAY_BEFORE, 23, 59, 59), view_at=at(BASE, 0, 0, 0)),
    Row("child-on-16th-birthday", child_turning_16_on_base, False, choose_at=at(BASE, 0, 0, 0)),
    Row("poa-active", with_poa(), True, "poa"),
    Row("poa-not-yet-started", with_poa(starts=NEXT_DAY), False, choose_at=at(BASE, 23, 59, 59)),
    Row("poa-starts-at-midnight", with_poa(starts=NEXT_DAY), True, "poa", choose_at=at(NEXT_DAY, 0, 0, 0)),
    Row("poa-ended-yesterday", with_poa(ends=DAY_BEFORE), False, choose_at=at(BASE, 0, 0, 0)),
    Row("poa-ends-today-still-in-force-23:59:59", with_poa(ends=BASE), True, "poa", choose_at=at(BASE, 23, 59, 59)),
    Row("poa-ends-today-gone-at-midnight-after-choosing", with_poa(ends=BASE), False,
        choose_at=at(BASE, 23, 59, 59), view_at=at(NEXT_DAY, 0, 0, 0)),
    Row("poa-ended-early-today", with_poa(ended_at=at(BASE, 8), ended_by="holder"), False),
    Row("poa-revoked", with_poa(ended_at=at(BASE - datetime.timedelta(days=5)), ended_by="grantor"), False),
    Row("principal-of-my-principal", principal_of_my_principal, False),
    Row("child-of-my-principal", child_of_my_principal, False),
    Row("protected-address-parent", child(9, parent_kw={"protected": "7"}), False),
    Row("protected-address-child", child(9, child_kw={"protected": "6"}), False),
    Row("protected-address-grantor", with_poa(grantor_kw={"protected": "7"}), False),
    Row("protected-address-holder", with_poa(holder_kw={"protected": "6"}), False),
    Row("stranger", stranger, False),
    Row("deceased-child", child(9, child_kw={"died": DAY_BEFORE}), False),
    Row("deceased-grantor", with_poa(grantor_kw={"died": DAY_BEFORE}), False),
    Row("grantor-dies-at-midnight-after-choosing", with_poa(grantor_kw={"died": NEXT_DAY}), False,
        choose_at=at(BASE, 23, 59, 59), view_at=at(NEXT_DAY, 0, 0, 0)),
    Row("deceased-viewer", deceased_viewer, False, logged_out=True),
]


@pytest.fixture(autouse=True)
def _outside_time_travel(settings):
    # The test IdP's certificate is made now, not at a travelled-to time; the closing date is not under test.
    idp.key_pair()
    settings.SERVICE_CLOSES_ON = datetime.date(2099, 1, 1)


def _subject_pages():
    """Every URL pattern whose view declares the SUBJECT rule: the pages that show health data."""
    found = {}

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and access_rules.rule_of(p.callback) == access_rules.SUBJECT:
                found[f"{namespace}{p.name}"] = p

    walk(get_resolver().url_patterns, "")
    return found


# Pages without ids are opened as they are; the detail page with the subject's valid prescription.
PAGES = [
    "prescriptions:valid",
    "prescriptions:dispensed",
    "prescriptions:history",
    "prescriptions:detail",
    "prescriptions:export",  # "download my data": a FHIR file, not HTML
]
MARKER_OF_PAGE = {
    "prescriptions:valid": "valid",
    "prescriptions:dispensed": "valid",
    "prescriptions:history": "history",
    "prescriptions:detail": "valid",
    "prescriptions:export": "valid",
}
LOGGED_PAGE = {
    "prescriptions:valid": "valid",
    "prescriptions:dispensed": "dispensed",
    "prescriptions:history": "history",
    "prescriptions:detail": "detail",
    "prescriptions:export": "export",
}
HTML_PAGES = {"prescriptions:valid", "prescriptions:dispensed", "prescriptions:history", "prescriptions:detail"}


def test_the_matrix_covers_every_subject_page():
    # A new page with health data must join the matrix (and the IDOR test if it takes an id).
    assert set(_subject_pages()) == set(PAGES)


def _url(page, person):
    if page == "prescriptions:detail":
        p = Prescription.objects.get(identifier=f"MX-{person.pk}-{markers(person)['valid']}")
        return reverse(page, args=[p.public_id])
    return reverse(page)


def _body(response):
    return response.content.decode()


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_access_matrix(client, db, row, page_name):
    page = page_name
    viewer, subject, extra = row.build()
    subject_marker = markers(subject)[MARKER_OF_PAGE[page]]
    with time_machine.travel(row.choose_at, tick=False) as traveller:
        if row.logged_out:
            login(client, viewer.national_id)
            response = client.get(_url(page, subject))
            # A deceased person's session is ended at once: no page, no data, no log entry.
            assert response.status_code == 302
            assert not AccessLogEntry.objects.exists()
            return
        login(client, viewer.national_id)
        switched = client.post(reverse("proxies:switch"), {"person": subject.pk})
        chosen = switched["Location"] == reverse("prescriptions:valid")
        if row.crosses_boundary:
            assert chosen, "the choice must be allowed before the boundary"
            traveller.move_to(row.view_at)
        else:
            assert chosen == row.allowed
        before = AccessLogEntry.objects.count()
        response = client.get(_url(page, subject))

    entries = AccessLogEntry.objects.filter(subject=subject)
    if row.allowed:
        assert response.status_code == 200
        body = _body(response)
        assert subject_marker in body
        if page in HTML_PAGES:
            assert subject.full_name in body  # the subject bar says whose data it is
        assert AccessLogEntry.objects.count() == before + 1
        entry = entries.get()
        assert (entry.viewer_id, entry.basis, entry.page) == (viewer.pk, row.basis, LOGGED_PAGE[page])
        if "reserved" in extra:
            _assert_reservation(row, page, body, client, extra["reserved"], subject)
        return

    # Refused: nothing of the subject's, nothing in the subject's log.
    assert not entries.exclude(viewer=subject).exists()
    if page == "prescriptions:detail":
        assert response.status_code == 404
        assert subject_marker not in _body(response)
        return
    assert response.status_code == 200
    body = _body(response)
    assert subject_marker not in body
    assert markers(viewer)[MARKER_OF_PAGE[page]] in body  # back to the viewer's own
    if page in HTML_PAGES:
        assert (FALLBACK in body) == row.crosses_boundary
    own = AccessLogEntry.objects.filter(subject=viewer).get()
    assert (own.viewer_id, own.basis) == (viewer.pk, "self")


def _assert_reservation(row, page, body, client, reserved, child):
    names = (f"Secretmed{child.pk}", f"Secrethist{child.pk}")
    if row.basis == "self":
        if page == "prescriptions:export":
            assert names[0] in body and names[1] in body
        elif page != "prescriptions:detail":
            assert (names[1] if page == "prescriptions:history" else names[0]) in body
        return
    # Not listed, not counted, not hinted at.
    for name in names:
        assert name not in body
    if page not in HTML_PAGES:
        return
    main = re.sub(r"<[^>]+>", " ", body.split('id="main"')[1])  # the text a reader sees
    assert not re.search(r"guardian|vergeinnsyn|reservation|hidden|skjult", main, re.IGNORECASE)
    if page in ("prescriptions:valid", "prescriptions:history"):
        assert body.count("<article") == 1  # only the child's unreserved one
    # The reserved prescription's own page does not exist for the parent.
    with time_machine.travel(row.choose_at, tick=False):
        assert client.get(reverse("prescriptions:detail", args=[reserved.public_id])).status_code == 404
    assert not AccessLogEntry.objects.filter(subject=child, page="detail", item=reserved.identifier).exists()
