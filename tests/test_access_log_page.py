"""The access log page, "Who has seen my prescriptions": always the logged-in person's own log."""

import datetime
import html
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prescriptions.models import AccessLogEntry, Prescription
from tests.conftest import HOST
from tests.conftest import login as saml_login

LOG = "/access-log/"


def login(client, national_id):
    """A real SAML login, then the English UI (the assertions here read English; nb is the default)."""
    response = saml_login(client, national_id)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return response


def logged_in(person):
    c = Client(HTTP_HOST=HOST)
    login(c, person.national_id)
    return c


def rows(response):
    """The table rows as lists of cell texts."""
    body = response.content.decode()
    tbody = body[body.index("<tbody>") : body.index("</tbody>")] if "<tbody>" in body else ""
    result = []
    for tr in re.findall(r"<tr>(.*?)</tr>", tbody, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        result.append([html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c))).strip() for c in cells])
    return result


def test_a_grantor_sees_what_her_proxy_looked_at_newest_first(client, people):
    kari, ingrid = people["kari"], people["ingrid"]
    metformin = Prescription.objects.get(identifier="DEMO-kari-1")
    proxy = logged_in(ingrid)
    proxy.post("/choose/switch/", {"person": kari.pk})
    proxy.get("/history/")
    proxy.get(reverse("prescriptions:detail", args=[metformin.public_id]))

    login(client, kari.national_id)
    client.post("/choose/switch/", {"person": kari.pk})
    client.get("/prescriptions/")
    response = client.get(LOG)
    assert response.status_code == 200
    assert [r[1:] for r in rows(response)] == [
        ["You", "Yourself", "Valid prescriptions"],
        ["Ingrid Dahl", "With your power of attorney", "Prescription for Metformin Sandoz"],
        ["Ingrid Dahl", "With your power of attorney", "History"],
    ]
    # Who, never their identity number: no 11-digit number anywhere on the page.
    assert not re.search(r"\d{11}", response.content.decode())


def test_a_child_sees_her_parents_views_and_the_parent_does_not_see_the_childs_log(client, people):
    kari, emma = people["kari"], people["emma"]
    login(client, kari.national_id)
    client.post("/choose/switch/", {"person": emma.pk})
    client.get("/prescriptions/")
    assert AccessLogEntry.objects.filter(subject=emma, viewer=kari, basis="parent").count() == 1

    # Kari, still acting for Emma, is shown her own log, and told so.
    parents_log = client.get(LOG)
    text = html.unescape(parents_log.content.decode())
    assert "This page is about you, Kari Nordmann, not about Emma Nordmann" in text
    assert rows(parents_log) == []
    assert "No one has viewed your prescriptions yet." in text

    emmas_log = logged_in(emma).get(LOG)
    assert [r[1:] for r in rows(emmas_log)] == [["Kari Nordmann", "As your parent", "Valid prescriptions"]]


def test_viewing_the_log_page_is_not_itself_logged(client, people):
    login(client, people["kari"].national_id)
    client.get(LOG)
    client.get(LOG + "?page=2")
    assert not AccessLogEntry.objects.exists()


def test_the_log_is_paginated_newest_first(client, people):
    kari, per = people["kari"], people["per"]
    start = timezone.now() - datetime.timedelta(days=10)
    for i in range(60):
        entry = AccessLogEntry.objects.create(subject=kari, viewer=per, basis="poa", page="history")
        AccessLogEntry.objects.filter(pk=entry.pk).update(at=start + datetime.timedelta(minutes=i))
    newest = AccessLogEntry.objects.order_by("-at").first()
    login(client, kari.national_id)

    first = client.get(LOG)
    assert len(rows(first)) == 25
    assert f'datetime="{timezone.localtime(newest.at).isoformat()}"' in first.content.decode()
    times = re.findall(r'<time datetime="([^"]+)"', first.content.decode())
    assert times == sorted(times, reverse=True)
    assert "Page 1 of 3" in first.content.decode()
    assert len(rows(client.get(LOG + "?page=3"))) == 10
    # A page that is not a number, or beyond the end, is a page anyway, never an error.
    assert len(rows(client.get(LOG + "?page=abc"))) == 25
    assert len(rows(client.get(LOG + "?page=999"))) == 10


def test_the_log_is_offered_in_the_navigation_on_every_page(client, people):
    login(client, people["kari"].national_id)
    client.post("/choose/switch/", {"person": people["per"].pk})
    for url in ("/prescriptions/", "/history/", "/powers-of-attorney/", LOG):
        body = client.get(url).content.decode()
        assert f'href="{LOG}"' in body and 'href="/powers-of-attorney/"' in body
