"""The number of database queries per page does not grow with the number of children and powers
of attorney: each page is measured for Kari as herself, as Emma's parent and as Per's proxy, then
measured again after she gains many children and powers (held, granted and ended)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prescriptions.identity import make_synthetic
from prescriptions.models import AccessLogEntry, Person, Prescription
from proxies.models import ParentalResponsibility, PowerOfAttorney
from tests.conftest import login

PAGES = ["valid", "dispensed", "history", "detail", "choose", "powers", "access_log"]
MODES = {"self": "kari", "parent": "emma", "poa": "per"}


def _url(page, subject):
    if page == "detail":
        p = Prescription.objects.filter(patient=subject, guardian_reserved=False).order_by("pk").first()
        return reverse("prescriptions:detail", args=[p.public_id])
    if page in ("choose", "powers", "access_log"):
        return reverse(f"proxies:{page}")
    return reverse(f"prescriptions:{page}")


def _person(name, age, individual):
    # Each age is used once per kind, so birth dates (and numbers) never repeat.
    today = timezone.localdate()
    birth = today.replace(year=today.year - age) - datetime.timedelta(days=40)
    number = make_synthetic(birth, individual)
    return Person.objects.create(national_id=number, given_name=name, family_name="Extra", birth_date=birth)


def _give_kari_many_relations(kari, count=8):
    today = timezone.localdate()
    for i in range(count):
        ParentalResponsibility.objects.create(parent=kari, child=_person(f"Child{i}", 3 + i, 600))
        grantor = _person(f"Grantor{i}", 50 + i, 300)
        PowerOfAttorney.objects.create(grantor=grantor, holder=kari, starts_on=today)
        PowerOfAttorney.objects.create(
            grantor=grantor, holder=kari, starts_on=today - datetime.timedelta(days=90),
            ended_at=timezone.now() - datetime.timedelta(days=30), ended_by=grantor,
        )
        holder = _person(f"Holder{i}", 20 + i, 400)
        PowerOfAttorney.objects.create(grantor=kari, holder=holder, starts_on=today)
        AccessLogEntry.objects.create(subject=kari, viewer=holder, basis="poa", page="detail", item="DEMO-kari-2")


def _queries(client, url):
    client.get(url)  # warm-up: messages, per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("mode", MODES)
def test_query_count_does_not_grow_with_children_and_powers(client, people, django_assert_num_queries, mode, page_name):
    page = page_name
    kari, subject = people["kari"], people[MODES[mode]]
    # The log page's baseline already has a detail entry, so its one extra lookup is in both counts.
    AccessLogEntry.objects.create(subject=kari, viewer=kari, basis="self", page="detail", item="DEMO-kari-1")
    login(client, kari.national_id)
    if mode != "self":
        client.post("/choose/switch/", {"person": subject.pk})
    url = _url(page, subject)
    baseline = _queries(client, url)

    _give_kari_many_relations(kari)
    client.get(url)
    with django_assert_num_queries(baseline):
        assert client.get(url).status_code == 200
