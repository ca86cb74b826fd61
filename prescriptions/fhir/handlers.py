"""The built-in handlers: FHIR Patient, Practitioner, Organization (pharmacy), Medication,
MedicationRequest and MedicationDispense ↔ the prescriptions models. docs/fhir-profile.md is the
mapping table for people outside this code."""

from __future__ import annotations

import decimal
import hashlib
import re

from prescriptions import identity
from prescriptions.fhir import parsing, profile
from prescriptions.fhir.records import Invalid, Problems, Record, Ref, Skip, a
from prescriptions.fhir.registry import Handler, register
from prescriptions.fhir.writing import existing_rows, lookup, upsert
from prescriptions.models import Dispense, Medication, Person, Pharmacy, Practitioner, Prescription

DECEASED_DATE_UNKNOWN = "unknown"

_LITERAL_TYPE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[^/]+)?$")
_ATC = re.compile(r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?")


# --- business identifiers -------------------------------------------------------------------------


def national_id(value: str, system: str, path: str) -> str:
    """A national identity number or D-number, checked against its system. Never echoed in messages."""
    try:
        number = identity.parse(value)
    except identity.InvalidIdentityNumber as error:
        raise Invalid((path, f"is not a valid Norwegian identity number: {error}")) from None
    is_d_number = number.value[0] in "4567"
    if system == profile.D_NUMBER and not is_d_number:
        raise Invalid((path, f"is not a D-number, but has the D-number system {profile.D_NUMBER}"))
    if system == profile.NATIONAL_ID and is_d_number:
        raise Invalid((path, f"is a D-number: use the system {profile.D_NUMBER}"))
    return number.value


def _digits(value: str, path: str, what: str, max_length: int) -> str:
    if not re.fullmatch(rf"[0-9]{{1,{max_length}}}", value):
        raise Invalid((path, f"is not a valid {what} (digits only, at most {max_length})"))
    return value


def _hpr(value: str, path: str) -> str:
    return _digits(value, path, "HPR number", 12)


def _gln(value: str, path: str) -> str:
    if not re.fullmatch(r"[0-9]{13}", value):
        raise Invalid((path, "is not a valid GLN (13 digits)"))
    return value


def _text_key(value: str, path: str, max_length: int = 64) -> str:
    return parsing.fit(value, max_length, path)


# Reference.identifier systems by target type: (system, normaliser).
KEY_SYSTEMS = {
    "Patient": {profile.NATIONAL_ID: national_id, profile.D_NUMBER: national_id},
    "Practitioner": {profile.HPR: lambda v, s, p: _hpr(v, p)},
    "Organization": {profile.GLN: lambda v, s, p: _gln(v, p)},
    "Medication": {profile.MEDICATION_CODE: lambda v, s, p: _text_key(v, p)},
    "MedicationRequest": {profile.PRESCRIPTION_ID: lambda v, s, p: _text_key(v, p)},
}


def reference(ref, path: str, target: str) -> Ref:
    """A Reference to a `target`: by `reference` (resolved in the bundle or this run), by
    `identifier` with the target's business identifier system (resolved in the database), or both."""
    if ref is None:
        raise Invalid((path, f"is required (a reference to {a(target)})"))
    if ref.type and ref.type != target:
        raise Invalid((f"{path}.type", f"must be {target}, not {ref.type}"))
    key = None
    if ref.identifier is not None and ref.identifier.system in KEY_SYSTEMS.get(target, {}):
        if not ref.identifier.value:
            raise Invalid((f"{path}.identifier.value", "is required"))
        normalise = KEY_SYSTEMS[target][ref.identifier.system]
        key = normalise(ref.identifier.value.strip(), ref.identifier.system, f"{path}.identifier.value")
    literal = ref.reference
    if literal:
        if literal.startswith("#"):
            raise Invalid((path, "may not point at a contained resource here"))
        match = _LITERAL_TYPE.search(literal)
        if match and not literal.startswith("urn:") and match.group(1) != target:
            raise Invalid((path, f"must reference {a(target)}, not {a(match.group(1))}"))
    if not literal and key is None:
        raise Invalid((path, f"must reference {a(target)} (by reference, or identifier with its system)"))
    return Ref(path=path, target=target, literal=literal, key=key)


# --- Patient ------------------------------------------------------------------------------------


def person_name(names, problems: Problems, path: str = "name") -> tuple[str, str]:
    """(given, family) from the official name, else the first one. No name at all is allowed: people
    who log in before the registry sent them have none either."""
    if not names:
        return "", ""
    index, name = next(((i, n) for i, n in enumerate(names) if n.use == "official"), (0, names[0]))
    given = " ".join(g.strip() for g in (name.given or []) if g)
    family = (name.family or "").strip()
    if not given and not family and name.text:
        # Only a text: the last word is taken as the family name.
        given, _, family = name.text.strip().rpartition(" ")
        if not given:
            given, family = family, ""
    if not given and not family:
        problems.add(f"{path}[{index}]", "has neither given nor family name")
    given = problems.attempt(parsing.fit, given, 200, f"{path}[{index}].given", default="")
    family = problems.attempt(parsing.fit, family, 200, f"{path}[{index}].family", default="")
    return given, family


def patient_identity(resource, problems: Problems, path: str = "identifier") -> str | None:
    """The person's number: a national identity number if there is one, else a D-number. Identifiers
    with use "old" (e.g. the D-number of someone who has since got a national number) are ignored."""
    found = problems.attempt(parsing.identifiers, resource, (profile.NATIONAL_ID, profile.D_NUMBER), path, default=None)
    if found is None:
        return None
    current = [item for item in found if item[3] != "old"]
    if not current:
        problems.add(
            path,
            f"has no Norwegian national identity number or D-number (system {profile.NATIONAL_ID} or {profile.D_NUMBER})",
        )
        return None
    preferred = [item for item in current if item[1] == profile.NATIONAL_ID] or current
    numbers = set()
    for p, system, value, _ in preferred:
        number = problems.attempt(national_id, value, system, p)
        if number is None:
            return None
        numbers.add(number)
    if len(numbers) > 1:
        problems.add(path, "has more than one Norwegian identity number")
        return None
    return numbers.pop()


class PatientHandler(Handler):
    resource_type = "Patient"
    order = 10

    def read(self, patient, where):
        problems = Problems()
        number = patient_identity(patient, problems)
        given, family = person_name(patient.name, problems)
        birth = None
        if patient.birthDate is not None:
            birth = problems.attempt(parsing.oslo_date, patient.birthDate, "birthDate")
            if birth and number and not identity.birth_date_matches(identity.parse(number), birth):
                problems.add("birthDate", "does not match the identity number")
        elif number:
            birth = identity.parse(number).birth_date()
        death = None
        warnings = []
        if patient.deceasedDateTime is not None:
            death = problems.attempt(parsing.oslo_date, patient.deceasedDateTime, "deceasedDateTime")
        elif patient.deceasedBoolean:
            death = DECEASED_DATE_UNKNOWN
            warnings.append(("deceasedBoolean", "has no date: recorded as deceased from the day of import"))
        protected = parsing.security_codes(patient, profile.ADDRESS_PROTECTION)
        if any(code not in profile.ADDRESS_PROTECTION_CODES for code in protected):
            problems.add("meta.security", f"codes of {profile.ADDRESS_PROTECTION} must be 6 or 7")
        problems.raise_if_any()
        # Code 6 (strictly confidential) wins over 7 if both are present.
        protection = "6" if "6" in protected else "7" if "7" in protected else ""
        return [
            Record(
                type="Patient", key=number, id=patient.id, where=where, warnings=warnings,
                values={
                    "given_name": given, "family_name": family, "birth_date": birth,
                    "protected_address": protection, "date_of_death": death,
                },
            )
        ]

    def lookup(self, keys):
        return lookup(Person, "national_id", keys)

    def write(self, records, context):
        rows = {r.key: dict(r.values) for r in records}
        unknown = [key for key, row in rows.items() if row["date_of_death"] == DECEASED_DATE_UNKNOWN]
        if unknown:
            known = existing_rows(Person, "national_id", unknown, ["date_of_death"])
            for key in unknown:
                earlier = known.get(key, {}).get("date_of_death")
                rows[key]["date_of_death"] = earlier or context.today
        return upsert(Person, "national_id", rows)


# --- Practitioner --------------------------------------------------------------------------------


class PractitionerHandler(Handler):
    resource_type = "Practitioner"
    order = 20

    def read(self, practitioner, where):
        problems = Problems()
        found = problems.attempt(parsing.one_identifier, practitioner, profile.HPR, "HPR number")
        key = problems.attempt(_hpr, found[1], found[0]) if found else None
        name = ""
        if not practitioner.name:
            problems.add("name", "is required")
        else:
            first = practitioner.name[0]
            name = first.text or " ".join(
                part for part in [*(first.prefix or []), *(first.given or []), first.family or ""] if part
            )
            if not name.strip():
                problems.add("name[0]", "is empty")
            name = problems.attempt(parsing.fit, name, 200, "name[0]", default="")
        problems.raise_if_any()
        return [Record(type="Practitioner", key=key, id=practitioner.id, where=where, values={"name": name})]

    def lookup(self, keys):
        return lookup(Practitioner, "hpr_number", keys)

    def write(self, records, context):
        return upsert(Practitioner, "hpr_number", {r.key: r.values for r in records})


# --- Organization (pharmacy) ------------------------------------------------------------------------


class OrganizationHandler(Handler):
    resource_type = "Organization"
    order = 30

    def read(self, organization, where):
        if not parsing.identifiers(organization, (profile.GLN,)):
            raise Skip(f"not imported: only pharmacies are, identified by a GLN (system {profile.GLN})")
        problems = Problems()
        found = problems.attempt(parsing.one_identifier, organization, profile.GLN, "GLN")
        key = problems.attempt(_gln, found[1], found[0]) if found else None
        if not organization.name:
            problems.add("name", "is required")
        name = problems.attempt(parsing.fit, organization.name or "", 200, "name", default="")
        problems.raise_if_any()
        return [Record(type="Organization", key=key, id=organization.id, where=where, values={"name": name})]

    def lookup(self, keys):
        return lookup(Pharmacy, "identifier", keys)

    def write(self, records, context):
        return upsert(Pharmacy, "identifier", {r.key: r.values for r in records})


# --- Medication ----------------------------------------------------------------------------------


def _number(value) -> str:
    return format(decimal.Decimal(value).normalize(), "f")


def _quantity_text(quantity) -> str:
    if quantity is None or quantity.value is None:
        return ""
    return f"{_number(quantity.value)} {quantity.unit or quantity.code or ''}".strip()


def _ingredient_strength(medication) -> str:
    parts = []
    for ingredient in medication.ingredient or []:
        ratio = ingredient.strength
        if ratio is None or ratio.numerator is None:
            continue
        text = _quantity_text(ratio.numerator)
        if ratio.denominator is not None and ratio.denominator.value not in (None, 1):
            text += f"/{_quantity_text(ratio.denominator)}"
        parts.append(text)
    return "/".join(parts)


def _derived_medication_code(concept, name: str, path: str) -> str:
    """A code for a medication known only by its codings: the package number, else ATC + name."""
    package = parsing.codings(concept, profile.PACKAGE_NUMBER)
    if package and package[0].code:
        return f"pkg:{package[0].code}"
    atc = parsing.codings(concept, profile.ATC)
    if atc and atc[0].code and name:
        code = f"atc:{atc[0].code}:{name}"
        if len(code) > 64:
            code = f"atc:{atc[0].code}:{hashlib.sha256(name.encode()).hexdigest()[:40]}"
        return code
    raise Invalid(
        (
            f"{path}.coding",
            f"needs a coding with system {profile.MEDICATION_CODE} or {profile.PACKAGE_NUMBER}, "
            f"or an ATC code ({profile.ATC}) and a name",
        )
    )


def medication_record(concept, where: str, path: str, *, medication=None, ensure: bool) -> Record:
    """A Medication record from a Medication resource (concept = its code) or from a
    medicationCodeableConcept. `ensure` records create a missing medication but never overwrite one:
    a bare concept knows less than a Medication resource."""
    problems = Problems()
    key = None
    if medication is not None:
        found = problems.attempt(parsing.identifiers, medication, (profile.MEDICATION_CODE,), default=[])
        if found:
            key = problems.attempt(_text_key, found[0][2], found[0][0])
    if concept is None:
        problems.add(path, "is required")
        problems.raise_if_any()
    name = parsing.concept_text(concept)
    if not name:
        problems.add(f"{path}.text", "is required (the medication's name)")
    if key is None and not problems.items:
        own = parsing.codings(concept, profile.MEDICATION_CODE)
        if own and own[0].code:
            key = problems.attempt(_text_key, own[0].code, f"{path}.coding")
        else:
            key = problems.attempt(_derived_medication_code, concept, name, path)
    atc_codes = parsing.codings(concept, profile.ATC)
    atc = (atc_codes[0].code or "") if atc_codes else ""
    if atc and not _ATC.fullmatch(atc):
        problems.add(f"{path}.coding", f"'{atc}' is not an ATC code")
    package_codes = parsing.codings(concept, profile.PACKAGE_NUMBER)
    package = (package_codes[0].code or "") if package_codes else ""
    if package:
        problems.attempt(_digits, package, f"{path}.coding", "package number", 20)
    form = strength = ""
    if medication is not None:
        form = problems.attempt(parsing.fit, parsing.concept_text(medication.form), 100, "form", default="")
        strength_ext = problems.attempt(parsing.one_extension, medication, profile.EXT_STRENGTH, "extension")
        strength = strength_ext.valueString if strength_ext is not None else _ingredient_strength(medication)
        strength = problems.attempt(parsing.fit, strength or "", 100, "extension", default="")
    name = problems.attempt(parsing.fit, name, 200, f"{path}.text", default="")
    problems.raise_if_any()
    return Record(
        type="Medication", key=key, where=where, id=getattr(medication, "id", None) if not ensure else None,
        action="ensure" if ensure else "upsert",
        values={"name": name, "form": form, "strength": strength, "atc_code": atc, "package_number": package},
    )


def medication_reference(resource, where: str, problems: Problems, records: list[Record]) -> Ref | None:
    """medication[x] of a MedicationRequest or MedicationDispense; inline medications become records."""
    if resource.medicationCodeableConcept is not None:
        record = problems.attempt(
            medication_record, resource.medicationCodeableConcept, where, "medicationCodeableConcept", ensure=True
        )
        if record is None:
            return None
        records.append(record)
        return Ref(path="medicationCodeableConcept", target="Medication", key=record.key)
    ref = resource.medicationReference
    if ref is not None and ref.reference and ref.reference.startswith("#"):
        contained = next(
            (c for c in resource.contained or [] if c.id == ref.reference[1:] and c.get_resource_type() == "Medication"),
            None,
        )
        if contained is None:
            problems.add("medicationReference", "points at no contained Medication")
            return None
        # Like a concept: a contained Medication fills in a missing medication, never overwrites one.
        record = problems.attempt(medication_record, contained.code, where, "contained.code", medication=contained,
                                  ensure=True)
        if record is None:
            return None
        records.append(record)
        return Ref(path="medicationReference", target="Medication", key=record.key)
    return problems.attempt(reference, ref, "medicationReference", "Medication")


class MedicationHandler(Handler):
    resource_type = "Medication"
    order = 40

    def read(self, medication, where):
        return [medication_record(medication.code, where, "code", medication=medication, ensure=False)]

    def lookup(self, keys):
        return lookup(Medication, "code", keys)

    def write(self, records, context):
        full = {r.key: r.values for r in records if r.action == "upsert"}
        pks, counts = upsert(Medication, "code", full)
        # Concepts only fill in medications nobody has described yet.
        bare = {r.key: r.values for r in records if r.action == "ensure" and r.key not in full}
        if bare:
            present = lookup(Medication, "code", bare)
            pks.update(present)
            counts.unchanged += len(present)
            more, created = upsert(Medication, "code", {k: v for k, v in bare.items() if k not in present})
            pks.update(more)
            counts.add(created)
        return pks, counts


# --- MedicationRequest ---------------------------------------------------------------------------

_REQUEST_STATUS = {"active": "active", "completed": "completed", "cancelled": "cancelled", "stopped": "cancelled"}
_ORDER_INTENTS = {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
_MAX_REITERATIONS = 32767


class MedicationRequestHandler(Handler):
    resource_type = "MedicationRequest"
    order = 50

    def read(self, request, where):
        problems = Problems()
        records: list[Record] = []
        found = problems.attempt(parsing.one_identifier, request, profile.PRESCRIPTION_ID, "prescription identifier")
        key = problems.attempt(_text_key, found[1], found[0]) if found else None
        status = _REQUEST_STATUS.get(request.status)
        if status is None:
            problems.add("status", f"'{request.status}' is not imported (use active, completed, cancelled or stopped)")
        if request.intent not in _ORDER_INTENTS:
            problems.add("intent", f"'{request.intent}' is not a prescription (use order)")
        refs = {
            "subject": problems.attempt(reference, request.subject, "subject", "Patient"),
            "requester": problems.attempt(reference, request.requester, "requester", "Practitioner"),
            "medication": medication_reference(request, where, problems, records),
        }
        issued = None
        if request.authoredOn is None:
            problems.add("authoredOn", "is required")
        else:
            issued = problems.attempt(parsing.oslo_date, request.authoredOn, "authoredOn")
        dosage = "; ".join(d.text.strip() for d in request.dosageInstruction or [] if d.text)
        indication = "; ".join(filter(None, (parsing.concept_text(c) for c in request.reasonCode or [])))
        indication = problems.attempt(parsing.fit, indication, 300, "reasonCode", default="")

        supply = request.dispenseRequest
        earliest = expires = quantity = None
        unit, reiterations = "", 0
        if supply is None:
            problems.add("dispenseRequest", "is required (validityPeriod and quantity)")
        else:
            period = supply.validityPeriod
            if period is None or period.end is None:
                problems.add("dispenseRequest.validityPeriod.end", "is required (the expiry date)")
            else:
                expires = problems.attempt(parsing.oslo_date, period.end, "dispenseRequest.validityPeriod.end")
                if period.start is not None:
                    earliest = problems.attempt(parsing.oslo_date, period.start, "dispenseRequest.validityPeriod.start")
                else:
                    earliest = issued
            if earliest and expires and expires < earliest:
                problems.add("dispenseRequest.validityPeriod", "ends before it starts")
            reiterations = supply.numberOfRepeatsAllowed or 0
            if reiterations > _MAX_REITERATIONS:
                problems.add("dispenseRequest.numberOfRepeatsAllowed", f"must be ≤ {_MAX_REITERATIONS}")
            if supply.quantity is None:
                problems.add("dispenseRequest.quantity", "is required")
            else:
                quantity = problems.attempt(parsing.amount, supply.quantity.value, "dispenseRequest.quantity.value")
                unit = problems.attempt(
                    parsing.fit, supply.quantity.unit or supply.quantity.code or "", 40, "dispenseRequest.quantity.unit",
                    default="",
                )

        reserved = False
        if request.substitution is not None:
            if request.substitution.allowedBoolean is not None:
                reserved = not request.substitution.allowedBoolean
            elif request.substitution.allowedCodeableConcept is not None:
                # v3 substitution code "N": no substitution allowed.
                reserved = any(c.code == "N" for c in request.substitution.allowedCodeableConcept.coding or [])

        group = "C"
        group_ext = problems.attempt(parsing.one_extension, request, profile.EXT_DISPENSING_GROUP, "extension")
        if group_ext is not None:
            group = group_ext.valueCode
            if group not in profile.DISPENSING_GROUPS:
                problems.add("extension", f"dispensing-group must be A, B or C, not {group!r}")
        blue_basis = blue_code = ""
        blue = problems.attempt(parsing.one_extension, request, profile.EXT_BLUE_PRESCRIPTION, "extension")
        if blue is not None:
            basis = parsing.extensions(blue, profile.EXT_BLUE_BASIS)
            code = parsing.extensions(blue, profile.EXT_BLUE_CODE)
            blue_basis = (basis[0].valueString or "").strip() if basis else ""
            blue_code = (code[0].valueString or "").strip() if code else ""
            if not blue_basis:
                problems.add("extension", "blue-prescription needs the sub-extension 'basis' (valueString)")
            blue_basis = problems.attempt(parsing.fit, blue_basis, 20, "extension", default="")
            blue_code = problems.attempt(parsing.fit, blue_code, 20, "extension", default="")
        labels = parsing.security_codes(request, profile.PRESCRIPTION_RESTRICTION)
        unknown = [code for code in labels if code not in (profile.LOCKED, profile.GUARDIAN_RESERVED)]
        if unknown:
            problems.add("meta.security", f"unknown code {unknown[0]!r} of {profile.PRESCRIPTION_RESTRICTION}")
        locked_ext = problems.attempt(parsing.one_extension, request, profile.EXT_LOCKED_REFERENCE, "extension")
        locked_reference = (locked_ext.valueString or "").strip() if locked_ext is not None else ""
        locked_reference = problems.attempt(parsing.fit, locked_reference, 40, "extension", default="")
        problems.raise_if_any()
        records.append(
            Record(
                type="MedicationRequest", key=key, id=request.id, where=where, refs=refs,
                values={
                    "status": status, "issued_on": issued, "earliest_dispense_on": earliest, "expires_on": expires,
                    "dosage_text": dosage, "indication": indication, "reiterations": reiterations,
                    "quantity_per_dispense": quantity, "quantity_unit": unit, "substitution_reserved": reserved,
                    "dispensing_group": group, "blue_basis": blue_basis, "blue_code": blue_code,
                    "locked": profile.LOCKED in labels or bool(locked_reference),
                    "locked_reference": locked_reference,
                    "guardian_reserved": profile.GUARDIAN_RESERVED in labels,
                },
            )
        )
        return records

    def lookup(self, keys):
        return lookup(Prescription, "identifier", keys)

    def write(self, records, context):
        rows = {}
        for r in records:
            rows[r.key] = {
                **r.values,
                "patient_id": context.pk("Patient", r.refs["subject"].resolved),
                "prescriber_id": context.pk("Practitioner", r.refs["requester"].resolved),
                "medication_id": context.pk("Medication", r.refs["medication"].resolved),
            }
        return upsert(Prescription, "identifier", rows)


# --- MedicationDispense --------------------------------------------------------------------------

_DISPENSE_STATUS = {
    "completed": "completed",
    "cancelled": "cancelled",
    "stopped": "cancelled",
    "declined": "cancelled",
    "entered-in-error": "cancelled",
}


def _pharmacy_reference(dispense, problems: Problems) -> Ref | None:
    performers = dispense.performer or []
    if not performers:
        problems.add("performer", "is required (the pharmacy, an Organization)")
        return None
    # With several performers, the Organization is the pharmacy (others may be pharmacists).
    chosen = 0
    for index, performer in enumerate(performers):
        actor = performer.actor
        if actor is None:
            continue
        literal = actor.reference or ""
        if (actor.type == "Organization" or literal.startswith("Organization/") or "/Organization/" in literal
                or (actor.identifier is not None and actor.identifier.system == profile.GLN)):
            chosen = index
            break
    return problems.attempt(reference, performers[chosen].actor, f"performer[{chosen}].actor", "Organization")


class MedicationDispenseHandler(Handler):
    resource_type = "MedicationDispense"
    order = 60

    def read(self, dispense, where):
        problems = Problems()
        records: list[Record] = []
        found = problems.attempt(parsing.one_identifier, dispense, profile.DISPENSE_ID, "dispense identifier")
        key = problems.attempt(_text_key, found[1], found[0]) if found else None
        status = _DISPENSE_STATUS.get(dispense.status)
        if status is None:
            problems.add("status", f"'{dispense.status}' is not imported (use completed or cancelled)")
        handed_over = None
        if dispense.whenHandedOver is not None:
            handed_over = problems.attempt(parsing.oslo_datetime, dispense.whenHandedOver, "whenHandedOver")
        elif dispense.whenPrepared is not None:
            handed_over = problems.attempt(parsing.oslo_datetime, dispense.whenPrepared, "whenPrepared")
        else:
            problems.add("whenHandedOver", "is required")
        quantity = None
        if dispense.quantity is None:
            problems.add("quantity", "is required")
        else:
            quantity = problems.attempt(parsing.amount, dispense.quantity.value, "quantity.value")
        substituted = bool(dispense.substitution and dispense.substitution.wasSubstituted)
        prescriptions = dispense.authorizingPrescription or []
        prescription = None
        if not prescriptions:
            problems.add("authorizingPrescription", "is required (the MedicationRequest)")
        elif len(prescriptions) > 1:
            problems.add("authorizingPrescription", "must name exactly one MedicationRequest")
        else:
            prescription = problems.attempt(reference, prescriptions[0], "authorizingPrescription[0]", "MedicationRequest")
        refs = {
            "prescription": prescription,
            "pharmacy": _pharmacy_reference(dispense, problems),
            "medication": medication_reference(dispense, where, problems, records),
        }
        if dispense.subject is not None:
            refs["subject"] = problems.attempt(reference, dispense.subject, "subject", "Patient")
        problems.raise_if_any()
        records.append(
            Record(
                type="MedicationDispense", key=key, id=dispense.id, where=where, refs=refs,
                values={"status": status, "handed_over_at": handed_over, "quantity": quantity, "substituted": substituted},
            )
        )
        return records

    def lookup(self, keys):
        return lookup(Dispense, "identifier", keys)

    def check(self, records, context):
        """A dispense belongs to its prescription's patient; a subject, if given, must agree."""
        problems = {}
        outside = [r.refs["prescription"].resolved for r in records
                   if context.unit_record("MedicationRequest", r.refs["prescription"].resolved) is None]
        patients = {}
        for part in range(0, len(outside), 1000):
            patients.update(
                Prescription.objects.filter(identifier__in=outside[part : part + 1000]).values_list(
                    "identifier", "patient__national_id"
                )
            )
        for r in records:
            prescription_key = r.refs["prescription"].resolved
            in_unit = context.unit_record("MedicationRequest", prescription_key)
            patient = in_unit.refs["subject"].resolved if in_unit is not None else patients.get(prescription_key)
            r.derived["patient"] = patient
            subject = r.refs.get("subject")
            if subject is not None and patient is not None and subject.resolved != patient:
                problems[id(r)] = [("subject", "is not the patient of the authorizing prescription")]
        return problems

    def write(self, records, context):
        context.load("Patient", {r.derived["patient"] for r in records})
        rows = {}
        for r in records:
            rows[r.key] = {
                **r.values,
                "prescription_id": context.pk("MedicationRequest", r.refs["prescription"].resolved),
                "patient_id": context.pk("Patient", r.derived["patient"]),
                "pharmacy_id": context.pk("Organization", r.refs["pharmacy"].resolved),
                "medication_id": context.pk("Medication", r.refs["medication"].resolved),
            }
        return upsert(Dispense, "identifier", rows)


for _handler in (
    PatientHandler(), PractitionerHandler(), OrganizationHandler(), MedicationHandler(), MedicationRequestHandler(),
    MedicationDispenseHandler(),
):
    register(_handler)
