"""Granting and ending powers of attorney through the real views, with real SAML logins."""

import datetime
import html as html_lib
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prescriptions.identity import make_synthetic, mask
from proxies.models import PowerOfAttorney
from tests.conftest import HOST
from tests.conftest import login as saml_login

POWERS = "/powers-of-attorney/"
GRANT = "/powers-of-attorney/grant/"
CONFIRM = "/powers-of-attorney/grant/confirm/"

def login(client, national_id):
    """A real SAML login, then the English UI (the assertions here read English; nb is the default)."""
    response = saml_login(client, national_id)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return response



def today():
    return timezone.localdate()


def main_text(response):
    """What a reader sees in <main>, tags removed."""
    html = response.content.decode()
    html = html[html.index('id="main"') :]
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def section(response, heading):
    text = main_text(response)
    start = text.index(heading)
    ends = [text.find(h, start + 1) for h in ("Held by me", "Give someone a power of attorney")]
    ends = [e for e in ends if e > start]
    return text[start : min(ends) if ends else None]


def new_client():
    return Client(HTTP_HOST=HOST)


def logged_in(person):
    c = new_client()
    login(c, person.national_id)
    return c


def step_one(client, number, ends_on=""):
    return client.post(GRANT, {"national_id": number, "ends_on": ends_on})


def test_kari_sees_what_she_granted_and_holds_with_history(client, people):
    login(client, people["kari"].national_id)
    response = client.get(POWERS)
    assert response.status_code == 200
    granted = section(response, "Granted by me")
    held = section(response, "Held by me")
    assert "Ingrid Dahl" in granted and "In force" in granted
    assert "Per Hansen" in held and "No end date" in held
    history = held[held.index("Ended (history)") :]
    assert "Astrid Berg" in history and "Its time limit" in history  # ran out ten days ago
    lars = history[history.index("Lars Johansen") :]
    assert lars.count("Lars Johansen") >= 2  # the grantor, and who ended it
    assert "Per Hansen" not in history
    body = response.content.decode()
    for person in people.values():
        assert person.national_id not in body


def test_grant_shows_the_name_for_confirmation_then_saves(client, people):
    kari, nils = people["kari"], people["nils"]
    login(client, kari.national_id)
    last_day = today() + datetime.timedelta(days=30)
    response = step_one(client, nils.national_id, last_day.isoformat())
    assert response.status_code == 302 and response["Location"] == CONFIRM
    assert not PowerOfAttorney.objects.filter(holder=nils).exists()  # nothing saved before confirmation

    confirm = client.get(CONFIRM)
    text = main_text(confirm)
    assert "Nils Olsen" in text and mask(nils.national_id) in text
    assert nils.national_id not in confirm.content.decode()  # the number stays out of the page

    done = client.post(CONFIRM, {"action": "confirm"}, follow=True)
    assert "Nils Olsen now holds a power of attorney from you." in main_text(done)
    poa = PowerOfAttorney.objects.get(grantor=kari, holder=nils)
    assert (poa.starts_on, poa.ends_on, poa.ended_at) == (today(), last_day, None)
    assert "Nils Olsen" in section(done, "Granted by me")

    # Nils can act for Kari at once, and Kari's log shows what he looked at.
    nils_client = logged_in(nils)
    assert "Kari Nordmann" in main_text(nils_client.get("/choose/"))
    nils_client.post("/choose/switch/", {"person": kari.pk})
    assert "Metformin Sandoz" in main_text(nils_client.get("/prescriptions/"))
    log = main_text(client.get("/access-log/"))
    assert "Nils Olsen" in log and "With your power of attorney" in log


def test_open_ended_grant(client, people):
    login(client, people["kari"].national_id)
    step_one(client, people["nils"].national_id)
    assert "No end date" in main_text(client.get(CONFIRM))
    client.post(CONFIRM, {"action": "confirm"})
    assert PowerOfAttorney.objects.get(holder=people["nils"]).ends_on is None


def test_cancel_saves_nothing(client, people):
    login(client, people["kari"].national_id)
    step_one(client, people["nils"].national_id)
    response = client.post(CONFIRM, {"action": "cancel"}, follow=True)
    assert "Nothing was saved." in main_text(response)
    assert not PowerOfAttorney.objects.filter(holder=people["nils"]).exists()
    # The pending grant is gone: confirming afterwards saves nothing either.
    assert client.post(CONFIRM, {"action": "confirm"})["Location"] == POWERS
    assert not PowerOfAttorney.objects.filter(holder=people["nils"]).exists()


def _unknown_number():
    return make_synthetic(datetime.date(1979, 6, 1), 400)


REFUSALS = [
    # (id, number of whom, end date offset in days, message, name that must not be shown)
    ("invalid-number", lambda p: "12345678901", None, "This is not a valid national identity number", None),
    ("too-short", lambda p: "1234", None, "This is not a valid national identity number", None),
    ("unknown-number", lambda p: _unknown_number(), None, "We found no person with this national identity number", None),
    ("oneself", lambda p: p["kari"].national_id, None, "You cannot give a power of attorney to yourself.", None),
    ("holder-under-18", lambda p: p["jonas"].national_id, None, "must be at least 18 years old", "Jonas"),
    ("holder-protected-address", lambda p: p["siri"].national_id, None, "protected address", "Siri"),
    ("already-active", lambda p: p["ingrid"].national_id, None, "already holds a power of attorney from you", None),
    ("end-in-the-past", lambda p: p["nils"].national_id, -1, "The last day cannot be in the past.", "Nils"),
]


@pytest.mark.parametrize("number_of, end_offset, message, hidden_name",
                         [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_each_refusal_has_a_clear_reason_and_saves_nothing(client, people, number_of, end_offset, message,
                                                           hidden_name):
    login(client, people["kari"].national_id)
    before = PowerOfAttorney.objects.count()
    ends_on = (today() + datetime.timedelta(days=end_offset)).isoformat() if end_offset is not None else ""
    response = step_one(client, number_of(people), ends_on)
    assert response.status_code == 200
    text = main_text(response)
    assert message in text
    assert 'aria-invalid="true"' in response.content.decode()
    if hidden_name:
        assert hidden_name not in text  # no name before the grant is possible
    assert client.get(CONFIRM)["Location"] == POWERS  # nothing waits for confirmation
    assert PowerOfAttorney.objects.count() == before


def test_deceased_holder_is_refused(client, people):
    nils = people["nils"]
    nils.date_of_death = today() - datetime.timedelta(days=2)
    nils.save()
    login(client, people["kari"].national_id)
    response = step_one(client, nils.national_id)
    assert "registered as deceased" in main_text(response)
    assert not PowerOfAttorney.objects.filter(holder=nils).exists()


@pytest.mark.parametrize("key, message", [
    ("emma", "You must be at least 16 years old to give a power of attorney."),
    ("siri", "You have a protected address."),
])
def test_grantor_who_cannot_grant_is_told_why_and_cannot_post(client, people, key, message):
    login(client, people[key].national_id)
    page = client.get(POWERS)
    assert message in main_text(page)
    assert 'action="/powers-of-attorney/grant/"' not in page.content.decode()
    response = step_one(client, people["nils"].national_id)
    assert message in main_text(response)
    assert client.get(CONFIRM)["Location"] == POWERS
    assert not PowerOfAttorney.objects.filter(grantor=people[key]).exists()


def test_rules_are_checked_again_when_confirming(client, people):
    nils = people["nils"]
    login(client, people["kari"].national_id)
    step_one(client, nils.national_id)
    nils.protected_address = "7"  # the registry changed in between
    nils.save()
    response = client.get(CONFIRM, follow=True)
    assert "protected address" in main_text(response)
    assert "Nils" not in main_text(response)
    assert not PowerOfAttorney.objects.filter(holder=nils).exists()


def test_a_grant_made_in_another_tab_meanwhile_is_not_doubled(client, people):
    kari, nils = people["kari"], people["nils"]
    login(client, kari.national_id)
    step_one(client, nils.national_id)
    client.get(CONFIRM)
    PowerOfAttorney.objects.create(grantor=kari, holder=nils, starts_on=today())
    response = client.post(CONFIRM, {"action": "confirm"}, follow=True)
    assert "already holds a power of attorney from you" in main_text(response)
    assert PowerOfAttorney.objects.filter(grantor=kari, holder=nils).count() == 1


def test_an_expired_time_limited_power_never_blocks_a_new_grant(client, people):
    kari, nils = people["kari"], people["nils"]
    old = PowerOfAttorney.objects.create(
        grantor=kari, holder=nils, starts_on=today() - datetime.timedelta(days=40),
        ends_on=today() - datetime.timedelta(days=1),
    )
    login(client, kari.national_id)
    assert step_one(client, nils.national_id)["Location"] == CONFIRM
    response = client.post(CONFIRM, {"action": "confirm"}, follow=True)
    assert "Nils Olsen now holds a power of attorney from you." in main_text(response)
    old.refresh_from_db()
    # Closed as of midnight Europe/Oslo after its last day, by no one: its time limit ended it.
    assert timezone.localtime(old.ended_at) == datetime.datetime.combine(
        today(), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    assert old.ended_by is None
    granted = section(response, "Granted by me")
    current, history = granted.split("Ended (history)")
    assert "Nils Olsen" in current and "In force" in current
    assert "Nils Olsen" in history and "Its time limit" in history


def test_editing_is_ending_and_granting_anew(client, people):
    kari, ingrid = people["kari"], people["ingrid"]
    login(client, kari.national_id)
    current = PowerOfAttorney.objects.get(grantor=kari, holder=ingrid, ended_at__isnull=True)
    client.post(reverse("proxies:end", args=[current.pk]))
    step_one(client, ingrid.national_id, (today() + datetime.timedelta(days=7)).isoformat())
    client.post(CONFIRM, {"action": "confirm"})
    rows = PowerOfAttorney.objects.filter(grantor=kari, holder=ingrid).order_by("created_at", "id")
    assert [r.ended_by_id for r in rows] == [kari.pk, None]
    assert rows[1].ends_on == today() + datetime.timedelta(days=7)


def test_grantor_ends_it_and_the_holder_loses_access_on_the_next_request(client, people):
    kari, ingrid = people["kari"], people["ingrid"]
    holder = logged_in(ingrid)
    holder.post("/choose/switch/", {"person": kari.pk})
    assert "Metformin Sandoz" in main_text(holder.get("/prescriptions/"))

    login(client, kari.national_id)
    poa = PowerOfAttorney.objects.get(grantor=kari, holder=ingrid, ended_at__isnull=True)
    response = client.post(reverse("proxies:end", args=[poa.pk]), follow=True)
    assert "Ingrid Dahl no longer holds a power of attorney from you." in main_text(response)
    history = section(response, "Granted by me")
    assert "Ended (history)" in history and "You" in history[history.index("Ended (history)") :]

    after = holder.get("/prescriptions/")
    text = main_text(after)
    assert "You can no longer view that person's prescriptions" in text
    assert "Metformin Sandoz" not in text
    assert "Kari Nordmann" not in main_text(holder.get("/choose/", follow=True))
    held = section(holder.get(POWERS), "Held by me")
    assert "Kari Nordmann" in held[held.index("Ended (history)") :]


def test_holder_ends_it_while_acting_and_is_back_to_own_on_the_next_request(client, people):
    kari, per = people["kari"], people["per"]
    login(client, kari.national_id)
    client.post("/choose/switch/", {"person": per.pk})
    assert "Albyl-E" in main_text(client.get("/prescriptions/"))
    poa = PowerOfAttorney.objects.get(grantor=per, holder=kari, ended_at__isnull=True)
    response = client.post(reverse("proxies:end", args=[poa.pk]), follow=True)
    text = main_text(response)
    assert "You no longer hold a power of attorney from Per Hansen." in text
    assert "You can no longer view that person's prescriptions" in text
    assert "Albyl-E" not in main_text(client.get("/prescriptions/"))
    poa.refresh_from_db()
    assert poa.ended_by == kari and poa.ended_at is not None
    per_page = section(logged_in(per).get(POWERS), "Granted by me")
    assert "Kari Nordmann" in per_page[per_page.index("Ended (history)") :]


def test_ending_twice_says_it_had_ended(client, people):
    login(client, people["kari"].national_id)
    poa = PowerOfAttorney.objects.get(grantor=people["kari"], holder=people["ingrid"])
    client.post(reverse("proxies:end", args=[poa.pk]))
    ended_at = PowerOfAttorney.objects.get(pk=poa.pk).ended_at
    response = client.post(reverse("proxies:end", args=[poa.pk]), follow=True)
    assert "This power of attorney had already ended." in main_text(response)
    assert PowerOfAttorney.objects.get(pk=poa.pk).ended_at == ended_at


def test_ending_needs_a_post(client, people):
    login(client, people["kari"].national_id)
    poa = PowerOfAttorney.objects.get(grantor=people["kari"], holder=people["ingrid"])
    assert client.get(reverse("proxies:end", args=[poa.pk])).status_code == 405
    assert PowerOfAttorney.objects.get(pk=poa.pk).ended_at is None


def test_every_write_needs_the_csrf_token(client, people):
    login(client, people["kari"].national_id)
    strict = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    strict.cookies = client.cookies
    poa = PowerOfAttorney.objects.get(grantor=people["kari"], holder=people["ingrid"])
    assert strict.post(reverse("proxies:end", args=[poa.pk])).status_code == 403
    assert strict.post(GRANT, {"national_id": people["nils"].national_id}).status_code == 403
    assert strict.post("/choose/switch/", {"person": people["per"].pk}).status_code == 403
    assert PowerOfAttorney.objects.get(pk=poa.pk).ended_at is None
    # With the token from the page it works: the refusal above was the CSRF check.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', strict.get(POWERS).content.decode()).group(1)
    response = strict.post(reverse("proxies:end", args=[poa.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_holder_lookups_are_rate_limited_per_user(client, people, settings):
    settings.POA_LOOKUP_LIMIT = 3
    settings.POA_LOOKUP_WINDOW_SECONDS = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        login(client, people["kari"].national_id)
        for individual in (400, 410, 420):
            response = step_one(client, make_synthetic(datetime.date(1979, 6, 1), individual))
            assert "We found no person" in main_text(response)
        limited = step_one(client, people["nils"].national_id)
        assert limited.status_code == 429
        text = main_text(limited)
        assert "You have looked up many national identity numbers in a short time" in text
        assert "Nils" not in text
        assert client.get(CONFIRM)["Location"] == POWERS
        # Invalid numbers and one's own number look nobody up, and are still answered.
        assert "not a valid national identity number" in main_text(step_one(client, "12345678900"))

        # Another user has their own allowance.
        other = logged_in(people["ingrid"])
        assert step_one(other, people["nils"].national_id)["Location"] == CONFIRM

        traveller.shift(datetime.timedelta(seconds=121))
        assert step_one(client, people["nils"].national_id)["Location"] == CONFIRM
