"""The person switch with the demo people: who is offered, what each choice shows, the subject bar,
one action back to one's own, and the decision taken again on every request."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prescriptions.models import AccessLogEntry
from proxies.models import PowerOfAttorney
from tests.conftest import HOST
from tests.conftest import login as saml_login

FALLBACK = "You can no longer view that person's prescriptions. You are now viewing your own."


def login(client, national_id):
    """A real SAML login, then the English UI (the assertions here read English; nb is the default)."""
    response = saml_login(client, national_id)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return response


def text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def main(response):
    body = response.content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body[body.index('id="main"') :])))


def offered(client):
    body = client.get("/choose/").content.decode()
    return {int(pk) for pk in re.findall(r'name="person" value="(\d+)"', body)}


def switch(client, person):
    return client.post("/choose/switch/", {"person": person.pk})


def test_kari_is_offered_herself_her_children_under_16_and_per(client, people):
    login(client, people["kari"].national_id)
    assert offered(client) == {people[k].pk for k in ("kari", "ola", "emma", "per")}
    page = text(client.get("/choose/"))
    assert "Whose prescriptions do you want to see?" in page
    for name in ("Jonas", "Astrid", "Lars", "Berit", "Ingrid", "Mia", "Nils"):
        assert name not in page


@pytest.mark.parametrize("key", ["jonas", "astrid", "lars", "berit", "mia", "nils", "ingrid"])
def test_choosing_someone_not_offered_is_refused(client, people, key):
    login(client, people["kari"].national_id)
    response = switch(client, people[key])
    assert response["Location"] == "/choose/"
    page = client.get("/prescriptions/")
    assert "You cannot view that person's prescriptions." in main(page)
    assert "Metformin Sandoz" in main(page)  # still her own
    assert not AccessLogEntry.objects.filter(subject=people[key]).exists()


@pytest.mark.parametrize("value", ["", "abc", "-1", "999999", "1.5"])
def test_malformed_choices_are_refused_without_error(client, people, value):
    login(client, people["kari"].national_id)
    response = client.post("/choose/switch/", {"person": value})
    assert response.status_code == 302 and response["Location"] == "/choose/"


def test_choosing_is_a_post(client, people):
    login(client, people["kari"].national_id)
    assert client.get("/choose/switch/", {"person": people["emma"].pk}).status_code == 405


def test_emma_as_her_parent_sees_nothing_of_her_reserved_prescription(client, people):
    login(client, people["kari"].national_id)
    switch(client, people["emma"])
    for url in ("/prescriptions/", "/dispensed/", "/history/"):
        page = client.get(url)
        assert "Loette" not in page.content.decode()
        assert "You are viewing Emma Nordmann's prescriptions as their parent." in text(page)
    valid = main(client.get("/prescriptions/"))
    assert "Locoid" in valid and "Ventoline" in valid
    assert "2 prescriptions can be dispensed today." in valid


def test_emma_herself_sees_her_reserved_prescription(client, people):
    login(client, people["emma"].national_id)
    valid = main(client.get("/prescriptions/"))
    assert "Loette 28" in valid and "3 prescriptions can be dispensed today." in valid


def test_one_action_gets_back_to_ones_own(client, people):
    login(client, people["kari"].national_id)
    switch(client, people["ola"])
    page = client.get("/prescriptions/")
    assert "You are viewing Ola Nordmann's prescriptions as their parent." in text(page)
    assert f'action="{reverse("proxies:self")}"' in page.content.decode()
    back = client.post(reverse("proxies:self"), follow=True)
    assert "Metformin Sandoz" in main(back)
    assert "You are viewing your own prescriptions, Kari Nordmann." in text(back)


def test_per_through_his_power_of_attorney_without_chains(client, people):
    login(client, people["kari"].national_id)
    switch(client, people["per"])
    page = client.get("/prescriptions/")
    assert "You are viewing Per Hansen's prescriptions with a power of attorney." in text(page)
    shown = main(page)
    assert "Albyl-E" in shown and "Levaxin" in shown
    assert "Atorvastatin" not in shown  # Berit's, who gave Per a power of attorney
    # While acting for Per, the switch still offers Kari's own choices only: never Per's principals.
    assert offered(client) == {people[k].pk for k in ("kari", "ola", "emma", "per")}
    assert switch(client, people["berit"])["Location"] == "/choose/"
    assert not AccessLogEntry.objects.filter(subject=people["berit"]).exists()
    entry = AccessLogEntry.objects.get(subject=people["per"])
    assert (entry.viewer, entry.basis) == (people["kari"], "poa")


def test_siri_with_a_protected_address_sees_only_her_own(client, people):
    siri, mia = people["siri"], people["mia"]
    login(client, siri.national_id)
    # With no one else to choose, the switch goes straight to her own prescriptions.
    assert client.get("/choose/")["Location"] == reverse("prescriptions:valid")
    assert offered(client) == set()
    own = main(client.get("/prescriptions/"))
    assert "Sertralin Hexal" in own and "Paracet" not in own
    assert switch(client, mia)["Location"] == "/choose/"
    assert "Paracet" not in main(client.get("/prescriptions/"))
    assert not AccessLogEntry.objects.filter(subject=mia).exists()


def test_no_one_can_act_for_siri_even_with_a_power_of_attorney_on_record(client, people):
    siri, nils = people["siri"], people["nils"]
    # As if registered before her address became protected: the policy still refuses it.
    PowerOfAttorney.objects.create(grantor=siri, holder=nils, starts_on=timezone.localdate())
    PowerOfAttorney.objects.create(grantor=nils, holder=siri, starts_on=timezone.localdate())
    login(client, nils.national_id)
    assert people["siri"].pk not in offered(client)
    assert switch(client, siri)["Location"] == "/choose/"
    assert "Sertralin" not in main(client.get("/prescriptions/"))
    siris = Client(HTTP_HOST=HOST)
    login(siris, siri.national_id)
    assert switch(siris, nils)["Location"] == "/choose/"
    assert not AccessLogEntry.objects.filter(subject__in=[siri, nils]).exclude(basis="self").exists()


@pytest.mark.parametrize("who", ["child", "parent"])
def test_an_address_that_becomes_protected_ends_access_on_the_next_request(client, people, who):
    kari, emma = people["kari"], people["emma"]
    login(client, kari.national_id)
    switch(client, emma)
    assert "Locoid" in main(client.get("/prescriptions/"))
    person = emma if who == "child" else kari
    person.protected_address = "6"
    person.save()
    page = main(client.get("/prescriptions/"))
    assert FALLBACK in page
    assert "Locoid" not in page
    assert AccessLogEntry.objects.filter(subject=emma).count() == 1
