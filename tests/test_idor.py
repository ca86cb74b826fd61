"""IDOR: for every page that takes an id, every id that does not belong to the current subject (or,
on the powers-of-attorney pages, to the logged-in person) answers 404 – never 403, so existence is
not revealed – and each refusal is logged without identity numbers."""

import logging

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from prescriptions import access_rules
from prescriptions.models import AccessLogEntry, Prescription
from proxies.models import PowerOfAttorney
from tests.conftest import login

REFUSAL = "refused: id in URL not found for this subject"
ID_PAGES = {"prescriptions:detail", "proxies:end"}


def _id_pages():
    found = set()

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.pattern.converters:
                if access_rules.rule_of(p.callback) not in (None, access_rules.PUBLIC):
                    found.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return found


def test_every_page_that_takes_an_id_is_covered_here():
    assert _id_pages() == ID_PAGES


def _refusals(caplog):
    return [r for r in caplog.records if r.getMessage() == REFUSAL]


def _assert_no_identity_numbers(records, people):
    numbers = [p.national_id for p in people.values()]
    for record in records:
        text = " ".join(str(v) for v in vars(record).values())
        assert not any(n in text for n in numbers)


MODES = [
    ("kari", None),
    ("kari", "emma"),  # parent of a 14-year-old: her reserved prescription is someone else's here
    ("kari", "ola"),
    ("kari", "per"),  # power of attorney: not Berit's (Per's principal)
    ("siri", None),  # protected address: not Mia's
    ("nils", None),
]


@pytest.mark.parametrize("viewer_key, subject_key", MODES, ids=lambda v: v or "self")
def test_prescription_ids_not_of_the_current_subject_are_404(client, people, caplog, viewer_key, subject_key):
    login(client, people[viewer_key].national_id)
    if subject_key:
        client.post("/choose/switch/", {"person": people[subject_key].pk})
    subject = people[subject_key or viewer_key]
    shown = Prescription.objects.filter(patient=subject)
    if subject_key == "emma":
        shown = shown.filter(guardian_reserved=False)
    foreign = Prescription.objects.exclude(pk__in=shown.values("pk"))
    assert foreign.count() > 20

    # The subject's own open: the 404s below are about ownership, not a broken page.
    own = shown.first()
    assert client.get(reverse("prescriptions:detail", args=[own.public_id])).status_code == 200
    entries_before = AccessLogEntry.objects.count()

    caplog.clear()
    caplog.set_level(logging.WARNING, logger="proxies.middleware")
    for prescription in foreign:
        response = client.get(reverse("prescriptions:detail", args=[prescription.public_id]))
        assert response.status_code == 404, prescription.identifier
        assert prescription.identifier not in response.content.decode()
    refusals = _refusals(caplog)
    assert len(refusals) == foreign.count()
    assert {r.subject_person_id for r in refusals} == {subject.pk}
    assert {r.url_name for r in refusals} == {"prescriptions:detail"}
    _assert_no_identity_numbers(refusals, people)
    assert AccessLogEntry.objects.count() == entries_before  # a refusal shows nothing, so logs no view


@pytest.mark.parametrize("subject_key", [None, "per"], ids=["self", "acting-for-per"])
def test_powers_of_attorney_of_others_cannot_be_ended(client, people, caplog, subject_key):
    kari = people["kari"]
    # More strangers' powers than the demo has: each must be out of Kari's reach.
    PowerOfAttorney.objects.create(grantor=people["nils"], holder=people["ingrid"], starts_on="2026-01-01")
    PowerOfAttorney.objects.create(grantor=people["astrid"], holder=people["lars"], starts_on="2026-01-01")
    login(client, kari.national_id)
    if subject_key:
        client.post("/choose/switch/", {"person": people[subject_key].pk})
    others = list(PowerOfAttorney.objects.exclude(grantor=kari).exclude(holder=kari))
    assert len(others) >= 3  # Berit → Per among them, though Kari acts for Per
    caplog.set_level(logging.WARNING, logger="proxies.middleware")
    for poa in others:
        assert client.post(reverse("proxies:end", args=[poa.pk])).status_code == 404
    missing = PowerOfAttorney.objects.order_by("-pk").first().pk + 1000
    assert client.post(reverse("proxies:end", args=[missing])).status_code == 404
    assert PowerOfAttorney.objects.filter(pk__in=[p.pk for p in others], ended_at__isnull=False).count() == sum(
        1 for p in others if p.ended_at is not None
    )
    refusals = _refusals(caplog)
    assert len(refusals) == len(others) + 1
    assert {r.url_name for r in refusals} == {"proxies:end"}
    _assert_no_identity_numbers(refusals, people)
