"""The query budget (issue 8): every logged-in page runs at most 10 SQL queries, counting the
session, the user, the subject re-check and the access-log insert, and the count does not grow
with the data: one prescription or 500 (with some 1,500 dispenses), one child and one power of
attorney or thirty of each.

Transaction control (BEGIN, COMMIT, SAVEPOINT ...) is not counted: on PostgreSQL Django does not
send BEGIN/COMMIT as statements at all, on SQLite it does, and inside the test's wrapping
transaction every atomic block becomes a SAVEPOINT pair. Every other statement counts.
"""

import datetime
import decimal
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prescriptions import access_rules, selectors
from prescriptions.identity import make_synthetic
from prescriptions.models import AccessLogEntry, Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from proxies.models import ParentalResponsibility, PowerOfAttorney
from tests.conftest import login
from tests.test_url_rules import every_route

pytestmark = pytest.mark.django_db

BUDGET = 10
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)
_serial = itertools.count(1)


def born(years: int, days: int = 0) -> datetime.date:
    """Someone `years` old, a few months away from their birthday."""
    return selectors.today() - datetime.timedelta(days=round(years * 365.25) + 100 + days)


def person(given: str, years: int, days: int = 0, series: int = 0) -> Person:
    birth = born(years, days)
    # Two worlds in one database: each takes its own individual numbers.
    individual = (100 if birth.year < 2000 else 500) + 200 * series
    return Person.objects.create(national_id=make_synthetic(birth, individual), given_name=given,
                                 family_name="Budsjett", birth_date=birth)


class Catalogue:
    def __init__(self, name):
        self.drug = Medication.objects.create(code=f"{name}-cozaar", name="Cozaar", form="tablett", strength="50 mg",
                                              atc_code="C09CA01", package_number="345678")
        self.generic = Medication.objects.create(code=f"{name}-losartan", name="Losartan Krka", form="tablett",
                                                 strength="50 mg", atc_code="C09CA01", package_number="345679")
        self.doctors = [Practitioner.objects.create(hpr_number=f"9{name[0]}{i:05d}", name=f"Dr. {i}") for i in range(3)]
        self.pharmacies = [Pharmacy.objects.create(identifier=f"708{name}{i}", name=f"Apotek {i}") for i in range(3)]


def prescribe(cat: Catalogue, patient: Person, count: int, dispenses_each: int) -> Prescription:
    """`count` prescriptions of every kind (valid, upcoming, expired, cancelled, used up, locked,
    blue, narcotic, guardian-reserved), with dispenses, some substituted and some cancelled.
    Returns one valid prescription with many dispenses, for the detail page."""
    today = selectors.today()
    rows = []
    for i in range(count):
        kind = i % 7
        issued = today - datetime.timedelta(days=30 + i % 50)
        rows.append(Prescription(
            identifier=f"B-{next(_serial)}", patient=patient, medication=cat.drug, prescriber=cat.doctors[i % 3],
            issued_on=issued,
            earliest_dispense_on=today + datetime.timedelta(days=5) if kind == 1 else issued,
            expires_on=today - datetime.timedelta(days=1) if kind == 2 else today + datetime.timedelta(days=20 + i),
            status="cancelled" if kind == 3 else "active",
            reiterations=0 if kind == 4 else dispenses_each + 2,
            quantity_per_dispense=decimal.Decimal("30"), quantity_unit="stk",
            locked=kind == 5, locked_reference="LR-1" if kind == 5 else "",
            blue_basis="§ 2" if kind == 6 else "", blue_code="T90" if kind == 6 else "",
            dispensing_group="A" if kind == 0 and i % 2 else "C",
            guardian_reserved=kind == 6 and i % 2 == 1,
        ))
    main = Prescription(
        identifier=f"B-{next(_serial)}", patient=patient, medication=cat.drug, prescriber=cat.doctors[0],
        issued_on=today - datetime.timedelta(days=100), earliest_dispense_on=today - datetime.timedelta(days=100),
        expires_on=today + datetime.timedelta(days=200), reiterations=dispenses_each * 3 + 1,
        quantity_per_dispense=decimal.Decimal("30"),
    )
    rows.append(main)
    made = Prescription.objects.bulk_create(rows)
    dispenses = []
    for p in made:
        how_many = dispenses_each * 3 if p is main else (1 if p.reiterations == 0 else dispenses_each)
        for j in range(how_many):
            # Spread over every page of the list: substitutions show the prescribed item too.
            substituted = (j + p.pk) % 2 == 1
            dispenses.append(Dispense(
                identifier=f"BD-{next(_serial)}", prescription=p, patient=patient,
                handed_over_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=j + 1, hours=p.pk % 24),
                pharmacy=cat.pharmacies[j % 3], medication=cat.generic if substituted else cat.drug,
                quantity=decimal.Decimal("30"), substituted=substituted,
                status=Dispense.Status.CANCELLED if (j + p.pk) % 5 == 4 else Dispense.Status.COMPLETED,
            ))
    Dispense.objects.bulk_create(dispenses)
    return main


def build_world(name: str, *, prescriptions: int, dispenses_each: int, relations: int) -> dict:
    """A viewer with their own prescriptions, `relations` children under 16 and `relations` powers of
    attorney in each direction; the first child (13, so guardian reservations apply) and the first
    grantor carry as many prescriptions as the viewer."""
    cat = Catalogue(name)
    series = {"small": 0, "large": 1}[name]
    viewer = person(f"Viewer {name}", 40, series=series)
    world = {"viewer": viewer, "self": prescribe(cat, viewer, prescriptions, dispenses_each)}
    children = [person(f"Child {i}", 13 if i == 0 else 3 + i % 12, i, series) for i in range(relations)]
    ParentalResponsibility.objects.bulk_create([ParentalResponsibility(parent=viewer, child=c) for c in children])
    world["child"], world["child_rx"] = children[0], prescribe(cat, children[0], prescriptions, dispenses_each)
    grantors = [person(f"Grantor {i}", 50 + i % 30, i, series) for i in range(relations)]
    holders = [person(f"Holder {i}", 30 + i % 30, i + 500, series) for i in range(relations)]
    start = selectors.today() - datetime.timedelta(days=10)
    PowerOfAttorney.objects.bulk_create(
        [PowerOfAttorney(grantor=g, holder=viewer, starts_on=start) for g in grantors]
        + [PowerOfAttorney(grantor=viewer, holder=h, starts_on=start) for h in holders]
    )
    world["grantor"], world["grantor_rx"] = grantors[0], prescribe(cat, grantors[0], prescriptions, dispenses_each)
    # A long access log for the viewer, written by their proxies.
    AccessLogEntry.objects.bulk_create([
        AccessLogEntry(subject=viewer, viewer=holders[i % relations], basis="poa", page="valid")
        for i in range(prescriptions)
    ])
    return world


SMALL = dict(prescriptions=1, dispenses_each=1, relations=1)
# The "1 or 500 prescriptions, or many children and PoAs".
LARGE = dict(prescriptions=500, dispenses_each=3, relations=30)


def pages_for(detail_public_id) -> dict[str, str]:
    """Every logged-in page that answers GET: the prescription pages with their filters, and
    every parameterless page any app declares LOGGED_IN or SUBJECT (found by walking the URLconf)."""
    pages = {
        "detail": reverse("prescriptions:detail", args=[detail_public_id]),
        "dispensed with a period": reverse("prescriptions:dispensed") + "?start=2000-01-01&end=2100-12-31",
        "dispensed page 2": reverse("prescriptions:dispensed") + "?page=2",
    }
    for route in every_route():
        if route.rule in (access_rules.SUBJECT, access_rules.LOGGED_IN) and "<" not in route.route:
            pages[route.name] = "/" + route.route
    return pages


def count_queries(client, url) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    sql = [q["sql"] for q in ctx.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])]
    return response.status_code, len(sql), sql


def measure(client, world, acting_as: str) -> dict[str, tuple[int, int, list[str]]]:
    login(client, world["viewer"].national_id)
    if acting_as != "self":
        response = client.post(reverse("proxies:switch"), {"person": world[acting_as].pk})
        assert response.status_code == 302
    detail = world[{"self": "self", "child": "child_rx", "grantor": "grantor_rx"}[acting_as]].public_id
    results = {}
    for name, url in pages_for(detail).items():
        status, count, sql = count_queries(client, url)
        if status == 405:  # POST-only: not a page
            continue
        results[name] = (status, count, sql)
    return results


@pytest.mark.parametrize("acting_as", ["self", "child", "grantor"])
def test_every_logged_in_page_stays_within_budget_whatever_the_amount_of_data(client, acting_as):
    small = measure(client, build_world("small", **SMALL), acting_as)
    client.post(reverse("site:logout"))
    large = measure(client, build_world("large", **LARGE), acting_as)
    assert {"prescriptions:valid", "detail", "prescriptions:dispensed", "prescriptions:history",
            "proxies:choose", "proxies:access_log"} <= set(small)
    report = []
    for name in small:
        (s_status, s_count, _), (l_status, l_count, l_sql) = small[name], large[name]
        report.append(f"{name}: {s_count} queries with 1 prescription, {l_count} with {LARGE['prescriptions']} "
                      f"(HTTP {l_status})")
        assert s_status == l_status, (name, s_status, l_status)
    print(f"\nacting as {acting_as}:\n  " + "\n  ".join(report))
    for name in small:
        (_, s_count, s_sql), (_, l_count, l_sql) = small[name], large[name]
        assert l_count == s_count, (
            f"{name}: {s_count} queries for 1, {l_count} for {LARGE['prescriptions']}:\n" + "\n".join(l_sql))
        assert l_count <= BUDGET, f"{name}: {l_count} queries:\n" + "\n".join(l_sql)


def test_the_pages_show_the_large_data_they_were_measured_with(client):
    """The budget above would be meaningless if the large pages were empty."""
    world = build_world("large", **LARGE)
    login(client, world["viewer"].national_id)
    valid = client.get(reverse("prescriptions:valid")).content.decode()
    now_valid, upcoming = selectors.current_prescriptions(_self_subject(world["viewer"]), selectors.today())
    assert len(now_valid) > 50 and len(upcoming) > 20
    assert valid.count("<article") == len(now_valid) + len(upcoming)
    history = client.get(reverse("prescriptions:history")).content.decode()
    in_history = selectors.history_prescriptions(_self_subject(world["viewer"]), selectors.today())
    assert len(in_history) > 60 and history.count("<article") == len(in_history)
    dispensed = client.get(reverse("prescriptions:dispensed")).content.decode()
    assert dispensed.count("<tr") == 51  # a page of 50 rows and the header
    detail = client.get(reverse("prescriptions:detail", args=[world["self"].public_id])).content.decode()
    assert detail.count("<tr") == 10  # nine dispenses and the header


def _self_subject(viewer):
    from prescriptions.subject import Subject

    return Subject(viewer, viewer, AccessLogEntry.Basis.SELF)
