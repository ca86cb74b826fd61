"""The operator console (Django admin): off unless ADMIN_ENABLED, at ADMIN_PATH, only for staff
whose session came from a SAML login, read-only, and every view of a person's health data is in
that person's access log with the basis "operator"."""

import importlib

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import clear_url_caches

from prescriptions.models import AccessLogEntry, Dispense, Person, Prescription
from tests.conftest import login

CONSOLE = "/operator-console/"


def _reload_urls():
    import myprescriptions.urls

    importlib.reload(myprescriptions.urls)
    clear_url_caches()


@pytest.fixture
def console(settings):
    """ADMIN_ENABLED on, as the environment variable would set it before the URLs are loaded."""
    settings.ADMIN_ENABLED = True
    _reload_urls()
    yield CONSOLE
    django_settings.ADMIN_ENABLED = False
    _reload_urls()


@pytest.fixture
def operator(client, people, console):
    """Kari, logged in through SAML at high assurance and made an operator with the command."""
    login(client, people["kari"].national_id)
    call_command("grant_operator", people["kari"].national_id, stdout=open("/dev/null", "w"))
    return client


def test_off_unless_enabled(client, people):
    login(client, people["kari"].national_id)
    call_command("grant_operator", people["kari"].national_id, stdout=open("/dev/null", "w"))
    assert client.get(CONSOLE).status_code == 404
    assert client.get("/admin/").status_code == 404


def test_at_its_own_path_not_the_default_one(operator):
    assert operator.get(CONSOLE).status_code == 200
    assert operator.get("/admin/").status_code == 404


def test_anonymous_and_citizens_do_not_even_see_it_exists(client, people, console):
    for url in (CONSOLE, f"{CONSOLE}login/", f"{CONSOLE}prescriptions/person/"):
        assert client.get(url).status_code == 404
    login(client, people["nils"].national_id)
    for url in (CONSOLE, f"{CONSOLE}prescriptions/person/"):
        assert client.get(url).status_code == 404


def test_its_own_password_login_does_not_work(client, people, console):
    user = get_user_model().objects.create_user("support", password="a long enough password 1", is_staff=True,
                                                person=people["nils"])
    response = client.post(f"{CONSOLE}login/", {"username": "support", "password": "a long enough password 1"})
    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    # Even a staff session made some other way than SAML is sent to the SAML login.
    client.force_login(user)
    response = client.get(CONSOLE)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{CONSOLE}login/")
    followed = client.get(response["Location"])
    assert followed.status_code == 302 and followed["Location"] == "/?login=required"
    assert client.get(f"{CONSOLE}prescriptions/person/").status_code == 302


def test_grant_operator_needs_a_valid_number_of_someone_who_has_logged_in(people, db):
    with pytest.raises(CommandError, match="not a valid"):
        call_command("grant_operator", "12345678901")
    never_logged_in = people["per"].national_id
    with pytest.raises(CommandError, match="has logged in") as error:
        call_command("grant_operator", never_logged_in)
    assert never_logged_in not in str(error.value)


def test_revoke_takes_the_console_away_at_once(operator, people):
    assert operator.get(CONSOLE).status_code == 200
    call_command("grant_operator", people["kari"].national_id, "--revoke", stdout=open("/dev/null", "w"))
    assert operator.get(CONSOLE).status_code == 404


def test_viewing_a_list_of_people_logs_every_person_shown(operator, people):
    kari = people["kari"]
    before = AccessLogEntry.objects.count()
    response = operator.get(f"{CONSOLE}prescriptions/person/")
    assert response.status_code == 200
    shown = {person.pk for person in response.context["cl"].result_list}
    assert shown == set(Person.objects.values_list("pk", flat=True))
    entries = AccessLogEntry.objects.order_by("id")[before:]
    assert {entry.subject_id for entry in entries} == shown
    assert {(entry.viewer_id, entry.basis, entry.page) for entry in entries} == {
        (kari.pk, AccessLogEntry.Basis.OPERATOR, "admin:person:list")
    }
    # Numbers are masked here too: the full number is only ever shown to its owner.
    page = response.content.decode()
    assert all(person.national_id not in page for person in people.values())
    assert people["ola"].national_id[:6] + " *****" in page


def test_viewing_a_prescription_logs_it_in_the_patients_access_log(operator, people):
    ola = people["ola"]
    prescription = Prescription.objects.filter(patient=ola).first()
    response = operator.get(f"{CONSOLE}prescriptions/prescription/{prescription.pk}/change/")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.filter(subject=ola).latest("id")
    assert (entry.viewer, entry.basis, entry.page, entry.item) == (
        people["kari"], AccessLogEntry.Basis.OPERATOR, "admin:prescription:change", prescription.identifier,
    )
    history = operator.get(f"{CONSOLE}prescriptions/prescription/{prescription.pk}/history/")
    assert history.status_code == 200
    assert AccessLogEntry.objects.filter(subject=ola).latest("id").page == "admin:prescription:history"


def test_dispense_list_and_person_page_are_logged_too(operator, people):
    emma = people["emma"]
    before = AccessLogEntry.objects.filter(subject=emma, basis="operator").count()
    assert operator.get(f"{CONSOLE}prescriptions/dispense/").status_code == 200
    assert operator.get(f"{CONSOLE}prescriptions/person/{emma.pk}/change/").status_code == 200
    pages = set(AccessLogEntry.objects.filter(subject=emma, basis="operator").values_list("page", flat=True))
    expected = {"admin:person:change"}
    if Dispense.objects.filter(patient=emma).exists():
        expected.add("admin:dispense:list")
    assert expected <= pages
    assert AccessLogEntry.objects.filter(subject=emma, basis="operator").count() > before


def test_the_console_is_read_only(operator, people):
    person = people["ola"]
    url = f"{CONSOLE}prescriptions/person/{person.pk}/change/"
    response = operator.post(url, {"given_name": "Changed"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.given_name == "Ola"
    assert operator.get(f"{CONSOLE}prescriptions/person/add/").status_code == 403
    assert operator.get(f"{CONSOLE}prescriptions/person/{person.pk}/delete/").status_code == 403


def test_only_the_projects_models_are_there(operator):
    # allauth's social accounts keep the IdP's attributes, identity number included.
    assert operator.get(f"{CONSOLE}socialaccount/socialaccount/").status_code == 404
    assert operator.get(f"{CONSOLE}auth/group/").status_code == 404
    assert operator.get(f"{CONSOLE}password_change/").status_code == 404


def test_logout_from_the_console_is_the_sites_logout(operator):
    response = operator.post(f"{CONSOLE}logout/")
    assert response.status_code == 307
    assert response["Location"] == "/logout/"
    operator.post("/logout/")
    assert operator.get(CONSOLE).status_code == 404
