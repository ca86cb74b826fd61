"""FHIR R4 resources from our models, and the "Download my data" Bundle.

Resource ids are derived from business identifiers (uuid5), never from database keys, so the same
data always gives the same Bundle: exporting, importing into an empty database and exporting again
gives the same file apart from the Bundle's id and timestamp. The builders take model instances
and read only their fields and related objects, so unsaved instances work too (the demo builds its
bundle that way before importing it).
"""

from __future__ import annotations

import decimal
import uuid

from django.utils import timezone

from prescriptions.fhir import profile
from prescriptions.models import Dispense, Medication, Person, Pharmacy, Practitioner, Prescription

# Fixed, so ids are stable across exports and installations.
ID_NAMESPACE = uuid.UUID("6f1b1c8e-3f0a-5a43-9d6e-2c7a4b9e8d10")

_KEY_SYSTEM = {
    "Practitioner": profile.HPR,
    "Organization": profile.GLN,
    "Medication": profile.MEDICATION_CODE,
    "MedicationRequest": profile.PRESCRIPTION_ID,
    "MedicationDispense": profile.DISPENSE_ID,
}


def patient_system(national_id: str) -> str:
    return profile.D_NUMBER if national_id[:1] in "4567" else profile.NATIONAL_ID


def resource_id(resource_type: str, key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{resource_type}|{key}"))


def full_url(resource_type: str, key: str) -> str:
    return f"urn:uuid:{resource_id(resource_type, key)}"


def reference(resource_type: str, key: str) -> dict:
    """A reference that resolves inside the Bundle (urn:uuid) and, through its identifier, against
    data already imported."""
    system = patient_system(key) if resource_type == "Patient" else _KEY_SYSTEM[resource_type]
    return {"reference": full_url(resource_type, key), "type": resource_type,
            "identifier": {"system": system, "value": key}}


def _number(value: decimal.Decimal):
    value = decimal.Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def patient(person: Person) -> dict:
    resource = {"resourceType": "Patient", "id": resource_id("Patient", person.national_id)}
    if person.protected_address:
        resource["meta"] = {"security": [{"system": profile.ADDRESS_PROTECTION, "code": person.protected_address}]}
    resource["identifier"] = [{"system": patient_system(person.national_id), "value": person.national_id}]
    name = {"use": "official"}
    if person.family_name:
        name["family"] = person.family_name
    if person.given_name:
        name["given"] = [person.given_name]
    if len(name) > 1:
        resource["name"] = [name]
    if person.birth_date:
        resource["birthDate"] = person.birth_date.isoformat()
    if person.date_of_death:
        resource["deceasedDateTime"] = person.date_of_death.isoformat()
    return resource


def practitioner(item: Practitioner) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": resource_id("Practitioner", item.hpr_number),
        "identifier": [{"system": profile.HPR, "value": item.hpr_number}],
        "name": [{"text": item.name}],
    }


def pharmacy(item: Pharmacy) -> dict:
    return {
        "resourceType": "Organization",
        "id": resource_id("Organization", item.identifier),
        "identifier": [{"system": profile.GLN, "value": item.identifier}],
        "name": item.name,
    }


def medication(item: Medication) -> dict:
    resource = {"resourceType": "Medication", "id": resource_id("Medication", item.code)}
    if item.strength:
        resource["extension"] = [{"url": profile.EXT_STRENGTH, "valueString": item.strength}]
    resource["identifier"] = [{"system": profile.MEDICATION_CODE, "value": item.code}]
    coding = []
    if item.atc_code:
        coding.append({"system": profile.ATC, "code": item.atc_code})
    if item.package_number:
        coding.append({"system": profile.PACKAGE_NUMBER, "code": item.package_number})
    code = {"coding": coding} if coding else {}
    if item.name:
        code["text"] = item.name
    resource["code"] = code
    if item.form:
        resource["form"] = {"text": item.form}
    return resource


def medication_request(item: Prescription, *, show_locked_reference: bool = True) -> dict:
    """The locked prescription's reference number is for the patient's own eyes: pass
    show_locked_reference=False for anyone acting for them."""
    resource = {"resourceType": "MedicationRequest", "id": resource_id("MedicationRequest", item.identifier)}
    labels = []
    if item.locked:
        labels.append({"system": profile.PRESCRIPTION_RESTRICTION, "code": profile.LOCKED})
    if item.guardian_reserved:
        labels.append({"system": profile.PRESCRIPTION_RESTRICTION, "code": profile.GUARDIAN_RESERVED})
    if labels:
        resource["meta"] = {"security": labels}
    extensions = [{"url": profile.EXT_DISPENSING_GROUP, "valueCode": item.dispensing_group}]
    if item.blue_basis:
        blue = [{"url": profile.EXT_BLUE_BASIS, "valueString": item.blue_basis}]
        if item.blue_code:
            blue.append({"url": profile.EXT_BLUE_CODE, "valueString": item.blue_code})
        extensions.append({"url": profile.EXT_BLUE_PRESCRIPTION, "extension": blue})
    if item.locked and item.locked_reference and show_locked_reference:
        extensions.append({"url": profile.EXT_LOCKED_REFERENCE, "valueString": item.locked_reference})
    resource["extension"] = extensions
    resource["identifier"] = [{"system": profile.PRESCRIPTION_ID, "value": item.identifier}]
    resource["status"] = item.status
    resource["intent"] = "order"
    resource["medicationReference"] = reference("Medication", item.medication.code)
    resource["subject"] = reference("Patient", item.patient.national_id)
    resource["authoredOn"] = item.issued_on.isoformat()
    resource["requester"] = reference("Practitioner", item.prescriber.hpr_number)
    if item.indication:
        resource["reasonCode"] = [{"text": item.indication}]
    if item.dosage_text:
        resource["dosageInstruction"] = [{"text": item.dosage_text}]
    quantity = {"value": _number(item.quantity_per_dispense)}
    if item.quantity_unit:
        quantity["unit"] = item.quantity_unit
    resource["dispenseRequest"] = {
        "validityPeriod": {"start": item.earliest_dispense_on.isoformat(), "end": item.expires_on.isoformat()},
        "numberOfRepeatsAllowed": item.reiterations,
        "quantity": quantity,
    }
    resource["substitution"] = {"allowedBoolean": not item.substitution_reserved}
    return resource


def medication_dispense(item: Dispense) -> dict:
    quantity = {"value": _number(item.quantity)}
    if item.prescription.quantity_unit:
        quantity["unit"] = item.prescription.quantity_unit
    return {
        "resourceType": "MedicationDispense",
        "id": resource_id("MedicationDispense", item.identifier),
        "identifier": [{"system": profile.DISPENSE_ID, "value": item.identifier}],
        "status": item.status,
        "medicationReference": reference("Medication", item.medication.code),
        "subject": reference("Patient", item.patient.national_id),
        "performer": [{"actor": reference("Organization", item.pharmacy.identifier)}],
        "authorizingPrescription": [reference("MedicationRequest", item.prescription.identifier)],
        "quantity": quantity,
        "whenHandedOver": timezone.localtime(item.handed_over_at).isoformat(),
        "substitution": {"wasSubstituted": item.substituted},
    }


def entry(resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def bundle(resources: list[dict], *, bundle_type: str = "collection") -> dict:
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": bundle_type,
        "timestamp": timezone.localtime().isoformat(timespec="seconds"),
        "entry": [entry(resource) for resource in resources],
    }


def resources_for(person: Person, prescriptions, dispenses, *, show_locked_reference: bool) -> list[dict]:
    """One patient's data, referenced resources first, each kind sorted by business identifier."""
    prescriptions = sorted(prescriptions, key=lambda p: p.identifier)
    dispenses = sorted(dispenses, key=lambda d: d.identifier)
    for item in [*prescriptions, *dispenses]:
        item.patient = person  # the same person: no query per row
    practitioners = {p.prescriber.hpr_number: p.prescriber for p in prescriptions}
    pharmacies = {d.pharmacy.identifier: d.pharmacy for d in dispenses}
    medications = {p.medication.code: p.medication for p in prescriptions}
    medications.update({d.medication.code: d.medication for d in dispenses})
    return [
        patient(person),
        *(practitioner(practitioners[k]) for k in sorted(practitioners)),
        *(pharmacy(pharmacies[k]) for k in sorted(pharmacies)),
        *(medication(medications[k]) for k in sorted(medications)),
        *(medication_request(p, show_locked_reference=show_locked_reference) for p in prescriptions),
        *(medication_dispense(d) for d in dispenses),
    ]


def subject_bundle(subject) -> dict:
    """What the subject's viewer may see of the subject, as a Bundle. Reads go through the subject,
    so prescriptions hidden from this viewer (guardian-access reservation) stay out, and so do their
    dispenses."""
    prescriptions = subject.prescriptions.select_related("medication", "prescriber")
    dispenses = subject.dispenses.select_related("medication", "pharmacy", "prescription")
    return bundle(resources_for(subject.person, prescriptions, dispenses, show_locked_reference=subject.is_self))
