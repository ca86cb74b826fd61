""""Download my data" and the export ↔ import round trip."""

import io
import json

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from prescriptions.fhir import exporter, profile
from prescriptions.fhir.importer import Importer
from prescriptions.models import (
    AccessLogEntry, Dispense, Medication, Person, Pharmacy, Practitioner, Prescription,
)
from prescriptions.subject import Subject
from proxies.models import ParentalResponsibility, PowerOfAttorney
from tests.conftest import login

URL = "/my-data/download/"


def resources(bundle, resource_type):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def identifiers(bundle, resource_type):
    return {r["identifier"][0]["value"] for r in resources(bundle, resource_type)}


def without_envelope(bundle):
    """The bundle apart from what differs on every export: its id and timestamp."""
    return {k: v for k, v in bundle.items() if k not in ("id", "timestamp")}


def wipe():
    """An empty database, as far as this service's data goes."""
    for model in (AccessLogEntry, Dispense, Prescription, PowerOfAttorney, ParentalResponsibility):
        model.objects.all().delete()
    get_user_model().objects.all().delete()
    for model in (Person, Medication, Practitioner, Pharmacy):
        model.objects.all().delete()


def choose(client, person):
    response = client.post("/choose/switch/", {"person": person.pk})
    assert response.status_code == 302


def test_kari_downloads_her_data_as_a_fhir_bundle(client, people):
    kari = people["kari"]
    login(client, kari.national_id)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="my-prescriptions-{today}.json"'
    assert kari.national_id not in response["Content-Disposition"]

    bundle = json.loads(response.content)
    Bundle.model_validate(bundle)  # valid FHIR, every resource included
    assert bundle["type"] == "collection"
    [patient] = resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": profile.NATIONAL_ID, "value": kari.national_id}]
    assert identifiers(bundle, "MedicationRequest") == {f"DEMO-kari-{n}" for n in range(1, 11)}
    assert identifiers(bundle, "MedicationDispense") == set(kari.dispenses.values_list("identifier", flat=True))
    # The prescribed and the substituted item are both there.
    assert {"Cozaar", "Losartan Krka"} <= {m["code"]["text"] for m in resources(bundle, "Medication")}
    assert {"Dr. Anne Lie", "Dr. Bjørn Moe", "Tannlege Cecilie Ås"} == {
        p["name"][0]["text"] for p in resources(bundle, "Practitioner")}
    assert "LR-2026-004217" in response.content.decode()  # her own locked prescription's reference

    entry = AccessLogEntry.objects.get(subject=kari, page="export")
    assert (entry.viewer, entry.basis) == (kari, "self")


def test_a_parent_does_not_get_what_the_child_reserved(client, people):
    kari, emma = people["kari"], people["emma"]
    login(client, kari.national_id)
    choose(client, emma)
    bundle = json.loads(client.get(URL).content)
    assert identifiers(bundle, "Patient") == {emma.national_id}
    assert identifiers(bundle, "MedicationRequest") == {"DEMO-emma-1", "DEMO-emma-3"}  # emma-2 is reserved
    assert identifiers(bundle, "MedicationDispense") == {"DEMO-emma-1-d0"}
    assert "Loette" not in json.dumps(bundle)  # nor its medication
    assert profile.GUARDIAN_RESERVED not in json.dumps(bundle)
    entry = AccessLogEntry.objects.get(subject=emma, page="export")
    assert (entry.viewer, entry.basis) == (kari, "parent")


def test_a_power_of_attorney_holder_gets_the_locked_prescription_without_its_reference(client, people):
    kari, ingrid = people["kari"], people["ingrid"]
    login(client, ingrid.national_id)
    choose(client, kari)
    bundle = json.loads(client.get(URL).content)
    locked = next(r for r in resources(bundle, "MedicationRequest") if r["identifier"][0]["value"] == "DEMO-kari-6")
    assert {"system": profile.PRESCRIPTION_RESTRICTION, "code": profile.LOCKED} in locked["meta"]["security"]
    assert "LR-2026-004217" not in json.dumps(bundle)
    assert AccessLogEntry.objects.get(subject=kari, page="export").basis == "poa"


def test_nobody_downloads_without_logging_in(client, people):
    response = client.get(URL)
    assert response.status_code == 302
    assert "my-prescriptions" not in response.get("Content-Disposition", "")
    assert not AccessLogEntry.objects.exists()


def test_the_download_is_a_get(client, people):
    login(client, people["kari"].national_id)
    assert client.post(URL).status_code == 405
    assert not AccessLogEntry.objects.filter(page="export").exists()


def test_the_logged_in_pages_link_to_the_download(client, people):
    login(client, people["kari"].national_id)
    page = client.get("/prescriptions/").content.decode()
    assert f'href="{URL}" download' in page


def test_export_import_into_an_empty_database_export_again_gives_the_same_bundle(client, people, tmp_path):
    """Through the download and the command, as a person moving their data would."""
    kari = people["kari"]
    login(client, kari.national_id)
    downloaded = json.loads(client.get(URL).content)
    path = tmp_path / "my-prescriptions.json"
    path.write_bytes(json.dumps(downloaded).encode())
    client.logout()
    wipe()
    call_command("import_fhir", str(path), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    kari = Person.objects.get(national_id=kari.national_id)
    again = exporter.subject_bundle(Subject(kari, kari, "self"))
    assert without_envelope(again) == without_envelope(downloaded)
    assert again["id"] != downloaded["id"]


def test_every_demo_person_round_trips(people):
    """All of the demo's markers (blue, locked, reserved, cancelled, substituted, A-preparation,
    protected address, D-number-free ids …) survive export → import → export."""
    first = {key: exporter.subject_bundle(Subject(p, p, "self")) for key, p in people.items()}
    wipe()
    problems = []
    with Importer(report=problems.append) as importer:
        for key, bundle in first.items():
            importer.import_data(json.loads(json.dumps(bundle)), f"{key}.json")
    assert problems == []
    for key, bundle in first.items():
        person = Person.objects.get(national_id=people[key].national_id)
        assert without_envelope(exporter.subject_bundle(Subject(person, person, "self"))) == without_envelope(bundle), key
