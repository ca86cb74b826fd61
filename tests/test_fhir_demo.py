"""The demo goes in through the FHIR importer: its bundle imports with import_fhir, and seed_demo
(which imports the same bundle) stays idempotent."""

import io
import json

from django.core.management import call_command

from myprescriptions import demo
from prescriptions.models import Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from proxies.models import ParentalResponsibility, PowerOfAttorney


def by_business_key():
    """The demo's rows keyed by business identifiers, not database ids."""
    return {
        "people": sorted(Person.objects.values_list(
            "national_id", "given_name", "family_name", "birth_date", "protected_address", "date_of_death")),
        "practitioners": sorted(Practitioner.objects.values_list("hpr_number", "name")),
        "pharmacies": sorted(Pharmacy.objects.values_list("identifier", "name")),
        "medications": sorted(Medication.objects.values_list(
            "code", "name", "form", "strength", "atc_code", "package_number")),
        "prescriptions": sorted(Prescription.objects.values_list(
            "identifier", "patient__national_id", "medication__code", "prescriber__hpr_number", "dispensing_group",
            "dosage_text", "indication", "issued_on", "earliest_dispense_on", "expires_on", "reiterations",
            "quantity_per_dispense", "quantity_unit", "substitution_reserved", "blue_basis", "blue_code", "status",
            "locked", "locked_reference", "guardian_reserved")),
        "dispenses": sorted(Dispense.objects.values_list(
            "identifier", "prescription__identifier", "patient__national_id", "handed_over_at",
            "pharmacy__identifier", "medication__code", "quantity", "substituted", "status")),
        "parents": sorted(ParentalResponsibility.objects.values_list("parent__national_id", "child__national_id")),
    }


def test_import_fhir_loads_the_demo_bundle_and_seed_demo_gives_the_same_data(db, tmp_path):
    path = tmp_path / "demo.json"
    call_command("seed_demo", "--write-bundle", str(path), stdout=io.StringIO())
    bundle = json.loads(path.read_text())
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) > 80
    out = io.StringIO()
    call_command("import_fhir", str(path), "--no-progress", stdout=out, stderr=io.StringIO())
    assert "0 error(s), 0 warning(s)" in out.getvalue()
    imported = by_business_key()
    assert len(imported["prescriptions"]) == len(demo.PRESCRIPTIONS)
    assert len(imported["parents"]) == len(demo.PARENTS)

    for model in (Dispense, Prescription, ParentalResponsibility, Person, Medication, Practitioner, Pharmacy):
        model.objects.all().delete()
    people = demo.seed()
    assert by_business_key() == imported
    assert set(people) == {spec.key for spec in demo.PEOPLE}
    assert PowerOfAttorney.objects.count() == len(demo.POWERS)


def test_seeding_twice_changes_nothing(db):
    demo.seed()
    first = by_business_key()
    public_ids = dict(Prescription.objects.values_list("identifier", "public_id"))
    demo.seed()
    assert by_business_key() == first
    assert dict(Prescription.objects.values_list("identifier", "public_id")) == public_ids
    assert PowerOfAttorney.objects.count() == len(demo.POWERS)
