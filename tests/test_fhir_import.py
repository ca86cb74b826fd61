"""`manage.py import_fhir`: what an operator sees when importing good and bad files."""

import datetime
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from prescriptions.fhir import profile
from prescriptions.identity import make_synthetic
from prescriptions.models import Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from proxies.models import ParentalResponsibility

BASE = Path(__file__).resolve().parent.parent
EXAMPLES = BASE / "examples" / "fhir"
KARI = "14888410075"  # synthetic numbers from the example bundle
OLA = "20851450093"
SIRI = "41869020018"


class Tty(io.StringIO):
    def isatty(self):
        return True


def run_import(*paths, **options):
    """(succeeded, stdout, stderr) of import_fhir; stderr holds the errors and warnings."""
    out, err = io.StringIO(), io.StringIO()
    args = [str(p) for p in paths]
    if not options.pop("progress", False):
        args.append("--no-progress")
    try:
        call_command("import_fhir", *args, stdout=out, stderr=options.pop("stderr", err), **options)
        ok = True
    except CommandError:
        ok = False
    return ok, out.getvalue(), err.getvalue()


def snapshot():
    """Every row the importer may write, to prove a re-import changes nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Person, Practitioner, Pharmacy, Medication, Prescription, Dispense, ParentalResponsibility)
    }


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def patient(resource_id, number, birth, given="Test", family="Person"):
    return {
        "resourceType": "Patient", "id": resource_id,
        "identifier": [{"system": profile.NATIONAL_ID, "value": number}],
        "name": [{"family": family, "given": [given]}], "birthDate": birth.isoformat(),
    }


def collection(*resources):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


# --- the example bundle -------------------------------------------------------------------------


def test_the_example_bundle_imports_every_element_of_the_profile(db):
    ok, out, err = run_import(EXAMPLES / "example-bundle.json")
    assert ok, err
    assert err == ""
    kari = Person.objects.get(national_id=KARI)
    assert (kari.given_name, kari.family_name, kari.birth_date) == ("Kari", "Eksempel", datetime.date(1984, 8, 14))
    siri = Person.objects.get(national_id=SIRI)  # a D-number, with a protected address
    assert siri.protected_address == "7"
    assert ParentalResponsibility.objects.filter(parent=kari, child__national_id=OLA).exists()

    blue = Prescription.objects.get(identifier="EX-2026-0001")
    assert blue.patient == kari and blue.prescriber.hpr_number == "9900001"
    assert (blue.medication.name, blue.medication.atc_code, blue.medication.strength) == ("Cozaar", "C09CA01", "50 mg")
    assert (blue.blue_basis, blue.blue_code, blue.dispensing_group) == ("§ 2", "K86", "C")
    assert (blue.issued_on, blue.earliest_dispense_on, blue.expires_on) == (
        datetime.date(2026, 11, 1), datetime.date(2026, 11, 1), datetime.date(2027, 11, 1))
    assert (blue.reiterations, blue.quantity_per_dispense, blue.quantity_unit) == (3, 98, "stk")
    assert (blue.dosage_text, blue.indication, blue.substitution_reserved) == ("1 tablett om morgenen", "Høyt blodtrykk", False)

    locked = Prescription.objects.get(identifier="EX-2026-0002")
    assert (locked.locked, locked.locked_reference) == (True, "LR-2026-000123")
    assert locked.medication.atc_code == "N06AB06"  # from a medicationCodeableConcept

    dispense = Dispense.objects.get(identifier="EX-2026-0001-D1")
    assert dispense.prescription == blue and dispense.patient == kari
    assert dispense.medication.name == "Losartan Eksempel" and dispense.substituted
    assert dispense.pharmacy.name == "Eksempelapoteket Torget" and dispense.quantity == 98
    assert dispense.handed_over_at == datetime.datetime(2026, 11, 3, 13, 20, tzinfo=datetime.UTC)

    assert "Patient" in out and "14 resources imported" in out


def test_importing_the_same_files_again_changes_nothing(db):
    assert run_import(EXAMPLES / "example-bundle.json")[0]
    before = snapshot()
    ok, out, err = run_import(EXAMPLES / "example-bundle.json")
    assert ok, err
    assert snapshot() == before
    patient_row = next(line for line in out.splitlines() if line.startswith("Patient "))
    assert patient_row.split()[1:4] == ["0", "0", "3"]  # created, updated, unchanged


def test_a_changed_resource_is_updated_in_place(db, tmp_path):
    assert run_import(EXAMPLES / "example-bundle.json")[0]
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    request = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "rx-blood-pressure")
    request["status"] = "cancelled"
    request["meta"] = {"security": [{"system": profile.PRESCRIPTION_RESTRICTION, "code": profile.GUARDIAN_RESERVED}]}
    public_id = Prescription.objects.get(identifier="EX-2026-0001").public_id
    ok, out, err = run_import(write_json(tmp_path / "changed.json", bundle))
    assert ok, err
    changed = Prescription.objects.get(identifier="EX-2026-0001")
    assert (changed.status, changed.guardian_reserved) == ("cancelled", True)
    assert changed.public_id == public_id  # its page address stays the same
    assert Prescription.objects.count() == 3


# --- bundles are atomic ------------------------------------------------------------------------


def test_a_bad_bundle_imports_nothing_while_the_other_files_import(db):
    ok, out, err = run_import(EXAMPLES / "bad" / "negative-quantity.json", EXAMPLES / "example-bundle.json")
    assert not ok
    # The bad bundle's valid Patient and Practitioner were not written either.
    assert not Prescription.objects.filter(identifier="EX-NEGATIVE").exists()
    assert not Practitioner.objects.exclude(hpr_number="9900001").exists()
    assert Prescription.objects.filter(identifier__startswith="EX-2026").count() == 3
    assert "negative-quantity.json: nothing from this bundle was imported" in err


# --- precise messages for bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("malformed.json", "malformed.json: malformed JSON at line 3 column 3: Expecting ',' delimiter"),
        ("empty.json", "empty.json: is empty (0 bytes)"),
        (
            "patient-without-norwegian-identifier.json",
            "patient-without-norwegian-identifier.json Patient/no-norwegian-id: identifier has no Norwegian "
            f"national identity number or D-number (system {profile.NATIONAL_ID} or {profile.D_NUMBER})",
        ),
        (
            "invalid-identity-number.json",
            "invalid-identity-number.json Patient/bad-number: identifier[0].value is not a valid Norwegian "
            "identity number: check digits do not match",
        ),
        (
            "dispense-unknown-prescription.json",
            "dispense-unknown-prescription.json entry[1] MedicationDispense/orphan: authorizingPrescription[0] "
            "MedicationRequest/does-not-exist is neither in this bundle nor in an earlier file of this import",
        ),
        (
            "negative-quantity.json",
            "negative-quantity.json entry[2] MedicationRequest/abc: dispenseRequest.quantity.value must be ≥ 0",
        ),
        (
            "negative-repeats.json",
            "negative-repeats.json entry[2] MedicationRequest/abc: dispenseRequest.numberOfRepeatsAllowed must be ≥ 0",
        ),
    ],
)
def test_bad_input_gets_a_message_naming_file_entry_resource_and_field(db, name, message):
    ok, out, err = run_import(EXAMPLES / "bad" / name)
    assert not ok
    assert f"error: {EXAMPLES / 'bad'}/" in err
    assert message in err, err
    assert "Traceback" not in err + out
    assert not Person.objects.exists() and not Prescription.objects.exists()


def test_the_identity_number_never_appears_in_messages(db, tmp_path):
    wrong = "14888410076"
    file = write_json(tmp_path / "wrong.json", {**patient(wrong, wrong, datetime.date(1984, 8, 14))})
    ok, out, err = run_import(file)
    assert not ok
    assert wrong not in err and "148884 *****" in err


def test_an_unknown_resource_type_is_skipped_with_a_warning_and_the_rest_imports(db):
    ok, out, err = run_import(EXAMPLES / "bad" / "unknown-resource-type.json")
    assert ok, err
    assert "warning: " in err and "entry[0] Observation/blood-pressure: Observation is not imported by this service: skipped" in err
    assert "error" not in err
    assert Person.objects.filter(national_id="09816030045").exists()


def test_a_resource_type_fhir_does_not_know_is_skipped_with_a_warning(db, tmp_path):
    ok, out, err = run_import(write_json(tmp_path / "odd.json", {"resourceType": "Prescriptionish", "id": "x"}))
    assert ok
    assert "'Prescriptionish' is not a FHIR resource type: skipped" in err


def test_the_exit_status_is_non_zero_and_there_is_no_traceback(tmp_path):
    """Through manage.py, as an operator runs it. These files fail before touching the database."""
    for name in ("malformed.json", "empty.json"):
        shutil.copy(EXAMPLES / "bad" / name, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "import_fhir", str(tmp_path), "--no-progress"],
        cwd=BASE, capture_output=True, text=True, timeout=120,
        env={"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "malformed.json: malformed JSON at line 3" in result.stderr
    assert "empty.json: is empty (0 bytes)" in result.stderr
    assert "CommandError: 2 error(s)" in result.stderr


def test_a_missing_path_is_an_error(db, tmp_path):
    ok, out, err = run_import(tmp_path / "nowhere.json")
    assert not ok and "nowhere.json: no such file or folder" in err


def test_hl7_example_resources_get_clear_errors_and_warnings_not_a_crash(db):
    ok, out, err = run_import(EXAMPLES / "hl7")
    assert not ok
    assert "Traceback" not in err
    hl7 = EXAMPLES / "hl7"
    expected = [
        f"error: {hl7 / 'patient-example.json'} Patient/example: identifier has no Norwegian national identity number",
        f"error: {hl7 / 'practitioner-example.json'} Practitioner/example: identifier has no HPR number",
        f"warning: {hl7 / 'organization-example.json'} Organization/hl7: not imported: only pharmacies are",
        f"error: {hl7 / 'medicationexample0301.json'} Medication/med0301: code.coding needs a coding with system",
        f"error: {hl7 / 'medicationrequest0326.json'} MedicationRequest/medrx0326: status 'on-hold' is not imported",
        f"error: {hl7 / 'medicationrequest0330.json'} MedicationRequest/medrx0330: identifier has no prescription identifier",
        f"error: {hl7 / 'medicationdispense0301.json'} MedicationDispense/meddisp0301: performer[0].actor must "
        "reference an Organization, not a Practitioner",
        f"warning: {hl7 / 'bundle-searchset.json'} entry[2] OperationOutcome: OperationOutcome is not imported",
        f"error: {hl7 / 'bundle-searchset.json'} entry[0] MedicationRequest/3123: status 'unknown' is not imported",
    ]
    for line in expected:
        assert line in err, line
    assert snapshot() == {name: [] for name in snapshot()}


def test_bundle_types_other_than_the_four_are_refused(db, tmp_path):
    ok, out, err = run_import(write_json(tmp_path / "doc.json", {"resourceType": "Bundle", "type": "document"}))
    assert not ok
    assert "doc.json: Bundle.type 'document' bundles are not imported (use collection, transaction, batch, searchset)" in err


# --- references ----------------------------------------------------------------------------------


def test_a_later_file_refers_to_data_in_the_database_by_identifier(db, tmp_path):
    assert run_import(EXAMPLES / "example-bundle.json")[0]
    dispense = {
        "resourceType": "MedicationDispense", "id": "second",
        "identifier": [{"system": profile.DISPENSE_ID, "value": "EX-2026-0001-D2"}],
        "status": "completed",
        "medicationReference": {"identifier": {"system": profile.MEDICATION_CODE, "value": "EX-cozaar-50"}},
        "performer": [{"actor": {"identifier": {"system": profile.GLN, "value": "7080009999990"}}}],
        "authorizingPrescription": [{"identifier": {"system": profile.PRESCRIPTION_ID, "value": "EX-2026-0001"}}],
        "quantity": {"value": 98},
        "whenHandedOver": "2026-12-01T10:00:00+01:00",
    }
    ok, out, err = run_import(write_json(tmp_path / "dispense.json", dispense))
    assert ok, err
    second = Dispense.objects.get(identifier="EX-2026-0001-D2")
    assert second.patient.national_id == KARI and not second.substituted

    dispense["identifier"][0]["value"] = "EX-UNKNOWN-D1"
    dispense["authorizingPrescription"][0]["identifier"]["value"] = "EX-NO-SUCH"
    ok, out, err = run_import(write_json(tmp_path / "unknown.json", dispense))
    assert not ok
    assert ("unknown.json MedicationDispense/second: authorizingPrescription[0] the MedicationRequest with this "
            "identifier is neither in this file nor in the database") in err


def test_a_dispense_for_someone_else_than_the_prescriptions_patient_is_refused(db, tmp_path):
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    dispense = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationDispense")
    dispense["subject"] = {"reference": "Patient/patient-ola"}
    ok, out, err = run_import(write_json(tmp_path / "mismatch.json", bundle))
    assert not ok
    assert "MedicationDispense/dispense-1: subject is not the patient of the authorizing prescription" in err
    assert not Dispense.objects.exists()


def test_a_reference_to_the_wrong_type_is_an_error(db, tmp_path):
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    request = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "rx-blood-pressure")
    request["requester"] = {"reference": "Patient/patient-kari"}
    ok, out, err = run_import(write_json(tmp_path / "wrong-type.json", bundle))
    assert not ok
    assert "MedicationRequest/rx-blood-pressure: requester must reference a Practitioner, not a Patient" in err


def test_related_person_without_parental_responsibility_is_skipped_and_active_false_ends_it(db, tmp_path):
    assert run_import(EXAMPLES / "example-bundle.json")[0]
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    related = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RelatedPerson")
    related["active"] = False
    # On its own, the child is referred to by identifier: it is in the database, not in this file.
    related["patient"] = {"identifier": {"system": profile.NATIONAL_ID, "value": OLA}}
    ok, out, err = run_import(write_json(tmp_path / "ended.json", related))
    assert ok, err
    assert not ParentalResponsibility.objects.exists()
    related["relationship"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}]
    ok, out, err = run_import(write_json(tmp_path / "mother.json", related))
    assert ok and "RelatedPerson/kari-parent-of-ola: not imported: only a parent with parental responsibility is" in err


# --- NDJSON ------------------------------------------------------------------------------------


def test_ndjson_files_in_a_folder_import_in_dependency_order_and_bad_lines_stand_alone(db, tmp_path):
    """Bulk-data style: one file per type, literal references across files. The folder lists
    MedicationRequest.ndjson before Patient.ndjson; the importer still takes patients first."""
    kari, ola = patient("p1", KARI, datetime.date(1984, 8, 14)), patient("p2", OLA, datetime.date(2014, 5, 20))
    (tmp_path / "Patient.ndjson").write_text(
        json.dumps(kari) + "\n\n" + '{"resourceType": "Patient", "id": "broken",\n' + json.dumps(ola) + "\n")
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    practitioner = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner")
    (tmp_path / "Practitioner.ndjson").write_text(json.dumps(practitioner) + "\n")
    requests = []
    for index, subject in enumerate(["Patient/p1", "Patient/p2", "Patient/broken"]):
        requests.append({
            "resourceType": "MedicationRequest", "id": f"rx{index}",
            "identifier": [{"system": profile.PRESCRIPTION_ID, "value": f"ND-{index}"}],
            "status": "active", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": profile.ATC, "code": "R06AE07"}], "text": "Cetirizin"},
            "subject": {"reference": subject}, "authoredOn": "2026-11-01",
            "requester": {"reference": "Practitioner/dr-eva"},
            "dispenseRequest": {"validityPeriod": {"end": "2027-11-01"}, "quantity": {"value": 30}},
        })
    (tmp_path / "MedicationRequest.ndjson").write_text("".join(json.dumps(r) + "\n" for r in requests))

    ok, out, err = run_import(tmp_path)
    assert not ok
    assert f"{tmp_path / 'Patient.ndjson'} line 3: malformed JSON at column" in err
    assert (f"{tmp_path / 'MedicationRequest.ndjson'} line 3 MedicationRequest/rx2: subject Patient/broken is neither "
            "in this file nor in an earlier file of this import") in err
    assert set(Prescription.objects.values_list("identifier", flat=True)) == {"ND-0", "ND-1"}
    assert Prescription.objects.get(identifier="ND-1").patient.national_id == OLA
    assert Prescription.objects.get(identifier="ND-0").earliest_dispense_on == datetime.date(2026, 11, 1)


def test_the_bad_lines_example_reports_each_line(db):
    ok, out, err = run_import(EXAMPLES / "bad" / "bad-lines.ndjson")
    assert not ok
    path = EXAMPLES / "bad" / "bad-lines.ndjson"
    assert f"{path} line 2: malformed JSON" in err
    assert f"{path} line 3 Patient/nd-2: identifier[0].value is not a valid Norwegian identity number" in err
    assert set(Person.objects.values_list("national_id", flat=True)) == {KARI, OLA}


def test_ndjson_read_by_worker_processes_gives_the_same_result(db, tmp_path, monkeypatch):
    from prescriptions.fhir import importer

    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
    lines = [patient(f"p{i}", make_synthetic(datetime.date(1950, 1, 1) + datetime.timedelta(days=i), 100),
                     datetime.date(1950, 1, 1) + datetime.timedelta(days=i)) for i in range(40)]
    lines[7]["identifier"][0]["value"] = "01015010099"  # invalid
    (tmp_path / "Patient.ndjson").write_text("".join(json.dumps(line) + "\n" for line in lines))
    ok, out, err = run_import(tmp_path / "Patient.ndjson", chunk_size=5, workers=2)
    assert not ok
    assert f"{tmp_path / 'Patient.ndjson'} line 8 Patient/p7: identifier[0].value is not a valid" in err
    assert Person.objects.count() == 39


# --- big imports ---------------------------------------------------------------------------------


def test_a_progress_bar_on_a_terminal_and_a_summary_per_type(db):
    ok, out, err = run_import(EXAMPLES / "example-bundle.json", progress=True, stderr=Tty())
    assert ok
    lines = out.splitlines()
    assert lines[0].split() == ["resource", "type", "created", "updated", "unchanged", "deleted", "failed", "skipped"]
    assert lines[1].split() == ["Patient", "3", "0", "0", "0", "0", "0"]
    assert any(line.split()[:2] == ["MedicationRequest", "3"] for line in lines)


def test_the_progress_bar_is_drawn_only_on_a_terminal(db):
    terminal, pipe = Tty(), io.StringIO()
    call_command("import_fhir", str(EXAMPLES / "example-bundle.json"), stdout=io.StringIO(), stderr=terminal)
    call_command("import_fhir", str(EXAMPLES / "example-bundle.json"), stdout=io.StringIO(), stderr=pipe)
    assert "100.0%" in terminal.getvalue() and "\r[" in terminal.getvalue()
    assert pipe.getvalue() == ""


def _patients_ndjson(path: Path, count: int, start: datetime.date) -> Path:
    numbers: set[str] = set()
    with path.open("w") as handle:
        day, individual = start, 100
        while len(numbers) < count:
            birth, number = day, make_synthetic(day, individual)
            individual += 7
            if individual > 480:
                day, individual = day + datetime.timedelta(days=1), 100
            if number in numbers or int(number[6:9]) > 499:
                continue
            numbers.add(number)
            handle.write(json.dumps(patient(f"m{len(numbers)}", number, birth)) + "\n")
    return path


def test_memory_stays_flat_however_long_the_ndjson_file(db, tmp_path):
    """Peak memory of importing 6 000 lines is about that of 600: the file is streamed, the
    reference index lives on disk. A ratio, not a time."""
    import tracemalloc

    from prescriptions.fhir.importer import Importer

    small = _patients_ndjson(tmp_path / "small.ndjson", 600, datetime.date(1950, 1, 1))
    big = _patients_ndjson(tmp_path / "big.ndjson", 6_000, datetime.date(1960, 1, 1))
    warm = _patients_ndjson(tmp_path / "warm.ndjson", 200, datetime.date(1945, 1, 1))

    def peak(path):
        with Importer(chunk_size=200) as importer:
            tracemalloc.start()
            importer.import_paths([str(path)])
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert importer.ok
        return top

    peak(warm)  # one-time allocations (model classes, caches) out of the way
    small_peak, big_peak = peak(small), peak(big)
    assert Person.objects.count() == 6_800
    print(f"peak memory: {small_peak / 1e6:.2f} MB for 600 lines, {big_peak / 1e6:.2f} MB for 6 000")
    assert big_peak < small_peak * 1.5, (small_peak, big_peak)


# --- details of the Patient and NDJSON rules -------------------------------------------------------


def test_a_d_number_must_carry_the_d_number_system(db, tmp_path):
    siri = patient("siri", "41869020018", datetime.date(1990, 6, 1))
    ok, out, err = run_import(write_json(tmp_path / "d.json", siri))
    assert not ok
    assert f"Patient/siri: identifier[0].value is a D-number: use the system {profile.D_NUMBER}" in err
    siri["identifier"][0]["system"] = profile.D_NUMBER
    assert run_import(write_json(tmp_path / "d.json", siri))[0]


def test_deceased_without_a_date_counts_from_the_day_of_import_with_a_warning(db, tmp_path):
    from django.utils import timezone

    kari = patient("kari", KARI, datetime.date(1984, 8, 14)) | {"deceasedBoolean": True}
    ok, out, err = run_import(write_json(tmp_path / "dead.json", kari))
    assert ok
    assert "warning: " in err and "Patient/kari: deceasedBoolean has no date: recorded as deceased from the day of import" in err
    assert Person.objects.get(national_id=KARI).date_of_death == timezone.localdate()


def test_a_bundle_on_an_ndjson_line_is_atomic_on_its_own(db, tmp_path):
    good = patient("p1", KARI, datetime.date(1984, 8, 14))
    bad_bundle = collection(patient("p2", OLA, datetime.date(2014, 5, 20)), patient("p3", "14888410076", datetime.date(1984, 8, 14)))
    (tmp_path / "mixed.ndjson").write_text(json.dumps(good) + "\n" + json.dumps(bad_bundle) + "\n")
    ok, out, err = run_import(tmp_path / "mixed.ndjson")
    assert not ok
    assert f"{tmp_path / 'mixed.ndjson'} line 2 entry[1] Patient/p3: identifier[0].value is not a valid" in err
    assert f"{tmp_path / 'mixed.ndjson'} line 2: nothing from this bundle was imported" in err
    assert set(Person.objects.values_list("national_id", flat=True)) == {KARI}  # Ola's entry went with its bundle


def test_inline_medications_fill_in_but_never_overwrite_a_described_one(db, tmp_path):
    assert run_import(EXAMPLES / "example-bundle.json")[0]
    bundle = json.loads((EXAMPLES / "example-bundle.json").read_text())
    request = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "rx-blood-pressure")
    request["identifier"][0]["value"] = "EX-CONTAINED"
    request["contained"] = [{
        "resourceType": "Medication", "id": "m",
        "identifier": [{"system": profile.MEDICATION_CODE, "value": "EX-cozaar-50"}],  # known: described above
        "code": {"coding": [{"system": profile.ATC, "code": "C09CA01"}], "text": "Cozaar (another name)"},
    }]
    request["medicationReference"] = {"reference": "#m"}
    request["subject"] = {"identifier": {"system": profile.NATIONAL_ID, "value": KARI}}  # imported before
    request["requester"] = {"identifier": {"system": profile.HPR, "value": "9900001"}}
    other = json.loads(json.dumps(request))
    other["identifier"][0]["value"] = "EX-CONTAINED-NEW"
    other["contained"][0]["identifier"][0]["value"] = "EX-new-medication"
    other["contained"][0]["form"] = {"text": "tablett"}
    ok, out, err = run_import(write_json(tmp_path / "contained.json", collection(request, other)))
    assert ok, err
    assert Prescription.objects.get(identifier="EX-CONTAINED").medication.name == "Cozaar"  # not overwritten
    new = Prescription.objects.get(identifier="EX-CONTAINED-NEW").medication
    assert (new.code, new.name, new.form, new.atc_code) == ("EX-new-medication", "Cozaar (another name)", "tablett", "C09CA01")
