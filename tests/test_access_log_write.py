"""The access-log entry is written before the page renders, in the same request; if it cannot be
written, the page with health data is not shown. The writer (prescriptions.services.record_access)
runs for real in every test here: the failure is made in the database, or in the model below it."""

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse

from prescriptions.models import AccessLogEntry, Prescription
from tests.conftest import HOST
from tests.conftest import login as saml_login

KARI_MEDICATIONS = ["Metformin Sandoz", "Atorvastatin Krka", "OxyNorm", "Sertralin Hexal", "Cozaar"]

def login(client, national_id):
    """A real SAML login, then the English UI (the assertions here read English; nb is the default)."""
    response = saml_login(client, national_id)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return response



def _pages(person):
    detail = Prescription.objects.filter(patient=person, identifier__endswith="-1").get()
    return [
        reverse("prescriptions:valid"),
        reverse("prescriptions:dispensed"),
        reverse("prescriptions:history"),
        reverse("prescriptions:detail", args=[detail.public_id]),
        reverse("prescriptions:export"),
    ]


def _refuse_inserts_in_the_database():
    table = AccessLogEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION mp_refuse_access_log() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'access log unavailable'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER mp_refuse_access_log BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mp_refuse_access_log()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER mp_refuse_access_log BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'access log unavailable'); END"
            )


def _allow_inserts_again():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER mp_refuse_access_log{' ON ' + AccessLogEntry._meta.db_table if connection.vendor == 'postgresql' else ''}")


def _assert_withheld(response, names):
    assert response.status_code == 503
    body = response.content.decode()
    assert "The page cannot be shown right now" in body
    for name in names:
        assert name not in body


def test_a_database_that_refuses_the_entry_withholds_every_page(client, people):
    kari = people["kari"]
    login(client, kari.national_id)
    _refuse_inserts_in_the_database()
    for url in _pages(kari):
        _assert_withheld(client.get(url), KARI_MEDICATIONS)
    assert not AccessLogEntry.objects.exists()

    _allow_inserts_again()
    response = client.get(reverse("prescriptions:valid"))
    assert response.status_code == 200 and "Metformin Sandoz" in response.content.decode()
    assert AccessLogEntry.objects.get().page == "valid"


def test_a_parents_view_is_withheld_too(client, people):
    login(client, people["kari"].national_id)
    client.post("/choose/switch/", {"person": people["emma"].pk})
    _refuse_inserts_in_the_database()
    for url in _pages(people["emma"]):
        _assert_withheld(client.get(url), ["Locoid", "Ventoline"])
    assert not AccessLogEntry.objects.exists()


def test_a_failing_save_below_the_writer_withholds_the_page(client, people, monkeypatch):
    login(client, people["kari"].national_id)

    def disk_full(self, *args, **kwargs):
        raise DatabaseError("could not extend file")

    monkeypatch.setattr(AccessLogEntry, "save", disk_full)
    _assert_withheld(client.get(reverse("prescriptions:valid")), KARI_MEDICATIONS)


def test_any_other_failure_of_the_write_shows_no_data_either(people, monkeypatch):
    client = Client(HTTP_HOST=HOST, raise_request_exception=False)
    login(client, people["kari"].national_id)

    def broken(self, *args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(AccessLogEntry, "save", broken)
    response = client.get(reverse("prescriptions:valid"))
    assert response.status_code == 500
    assert "Metformin Sandoz" not in response.content.decode()


@pytest.mark.parametrize("page", ["valid", "dispensed", "history", "detail"])
def test_the_entry_exists_before_the_page_renders(client, people, page):
    kari = people["kari"]
    login(client, kari.national_id)
    url = dict(zip(["valid", "dispensed", "history", "detail"], _pages(kari)[:4], strict=True))[page]
    seen = []

    def on_render(sender, template, context, **kwargs):
        if template.name == f"prescriptions/{page}.html":
            seen.append(AccessLogEntry.objects.filter(subject=kari, page=page).count())

    template_rendered.connect(on_render)
    try:
        assert client.get(url).status_code == 200
    finally:
        template_rendered.disconnect(on_render)
    assert seen == [1]
