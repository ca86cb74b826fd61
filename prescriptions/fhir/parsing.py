"""Validation with fhir.resources (R4B models, which read R4 resources of the types we use) and
small helpers that turn its data types into ours, each failing with a field path and a message.

fhir.resources checks structure and primitive formats; business rules (codes we accept, required
elements for a prescription, non-negative quantities) are checked by the handlers with these helpers.
"""

from __future__ import annotations

import datetime
import decimal
import re
import zoneinfo

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from prescriptions.fhir.records import Invalid

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")

_CHOICE_LIST = re.compile(r"\[([^\]]*)\]")


def model_class(resource_type: str):
    """The R4B model class for a resource type, or None if FHIR has no such type."""
    if not isinstance(resource_type, str) or not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", resource_type):
        return None
    try:
        return get_fhir_model_class(resource_type)
    except (ValueError, KeyError, AttributeError):
        return None


def _path(loc) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("resource_type",):
            path += ".resourceType" if path else "resourceType"
        else:
            path += f".{part}" if path else str(part)
    return path


def _problem(error: dict, resource_type: str) -> tuple[str, str]:
    """One pydantic error as (field path, plain message). Input values are never echoed: they may be
    identity numbers."""
    path = _path(error.get("loc", ()))
    kind = error.get("type", "")
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    if kind in ("missing", "model_field_validation.missing"):
        return path, "is required"
    if kind == "extra_forbidden":
        return path, f"is not an element of {resource_type} in FHIR R4"
    if kind == "greater_than_equal":
        return path, f"must be ≥ {ctx.get('ge')}"
    if kind == "greater_than":
        return path, f"must be > {ctx.get('gt')}"
    if kind == "string_pattern_mismatch":
        return path, "has an invalid format" if path != "id" else "is not a valid FHIR id"
    if "one field value is expected from this list" in message:
        names = _CHOICE_LIST.search(message)
        return _choice_path(names), "must have only one of " + _names(names)
    if "Expect any of field value from this list" in message:
        names = _CHOICE_LIST.search(message)
        return _choice_path(names), "is required (one of " + _names(names) + ")"
    if "does not match spec regex" in message:
        kind_name = message.split(" value string")[0].strip()
        return path, f"is not a valid FHIR {kind_name}"
    # pydantic's own messages ("Input should be a valid string") read fine in lower case.
    return path, message[:1].lower() + message[1:]


def _names(match) -> str:
    if not match:
        return "the choices"
    return ", ".join(name.strip(" '\"") for name in match.group(1).split(","))


def _choice_path(match) -> str:
    """medicationCodeableConcept, medicationReference → medication[x]."""
    if not match:
        return ""
    names = [name.strip(" '\"") for name in match.group(1).split(",")]
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return f"{prefix}[x]" if prefix else ""


def validate(resource_type: str, data: dict):
    """The validated R4B model, or Invalid with every problem fhir.resources found."""
    cls = model_class(resource_type)
    if cls is None:
        raise Invalid(("resourceType", f"'{resource_type}' is not a FHIR resource type"))
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        raise Invalid(*[_problem(e, resource_type) for e in error.errors()]) from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        # fhir.resources raises plain exceptions for some shapes (e.g. an unknown contained type).
        raise Invalid(("", f"could not be read as a FHIR {resource_type} ({type(error).__name__})")) from None


def validate_bundle_envelope(data: dict):
    """The Bundle without its resources: type, entry.fullUrl, entry.request… Resources are validated
    one by one so one bad or unknown resource does not hide the others."""
    envelope = dict(data)
    if isinstance(data.get("entry"), list):
        envelope["entry"] = [
            {k: v for k, v in entry.items() if k != "resource"} if isinstance(entry, dict) else entry
            for entry in data["entry"]
        ]
    try:
        return Bundle.model_validate(envelope)
    except ValidationError as error:
        raise Invalid(*[_problem(e, "Bundle") for e in error.errors()]) from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise Invalid(("", f"could not be read as a FHIR Bundle ({type(error).__name__})")) from None


# --- data types -----------------------------------------------------------------------------------


def oslo_date(value, path: str) -> datetime.date:
    """A FHIR date or dateTime as a calendar date in Norway. Partial dates ("2026-05") are refused:
    a prescription's dates must be exact."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(OSLO).date()
    if isinstance(value, datetime.date):
        return value
    raise Invalid((path, "must be a full date (YYYY-MM-DD)"))


def oslo_datetime(value, path: str) -> datetime.datetime:
    """A dateTime as an aware datetime; a bare date means midnight in Norway."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=OSLO)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(0), tzinfo=OSLO)
    raise Invalid((path, "must be a full date and time"))


_MAX_AMOUNT = decimal.Decimal("99999999.99")


def amount(value, path: str) -> decimal.Decimal:
    """A non-negative quantity that fits the database (8 digits, 2 decimals)."""
    if value is None:
        raise Invalid((path, "is required"))
    number = decimal.Decimal(value)
    if not number.is_finite():
        raise Invalid((path, "must be a number"))
    if number < 0:
        raise Invalid((path, "must be ≥ 0"))
    if number > _MAX_AMOUNT:
        raise Invalid((path, f"must be at most {_MAX_AMOUNT}"))
    if number != number.quantize(decimal.Decimal("0.01")):
        raise Invalid((path, "may have at most 2 decimals"))
    return number.quantize(decimal.Decimal("0.01"))


def fit(value: str, max_length: int, path: str) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise Invalid((path, f"is longer than {max_length} characters"))
    return value


def identifiers(resource, systems: tuple[str, ...], path: str = "identifier") -> list[tuple[str, str, str, str]]:
    """(path, system, value, use) of each identifier in one of `systems`."""
    found = []
    for index, ident in enumerate(getattr(resource, "identifier", None) or []):
        if ident.system in systems:
            if not ident.value:
                raise Invalid((f"{path}[{index}].value", "is required"))
            found.append((f"{path}[{index}].value", ident.system, ident.value.strip(), ident.use or ""))
    return found


def one_identifier(resource, system: str, what: str, path: str = "identifier") -> tuple[str, str]:
    """(path, value) of the single identifier with `system`."""
    found = identifiers(resource, (system,), path)
    if not found:
        raise Invalid((path, f"has no {what} (system {system})"))
    values = {item[2] for item in found}
    if len(values) > 1:
        raise Invalid((path, f"has more than one {what}"))
    return found[0][0], found[0][2]


def extensions(element, url: str) -> list:
    return [ext for ext in (getattr(element, "extension", None) or []) if ext.url == url]


def one_extension(element, url: str, path: str):
    found = extensions(element, url)
    if len(found) > 1:
        raise Invalid((f"{path}", f"has more than one extension {url}"))
    return found[0] if found else None


def security_codes(resource, system: str) -> list[str]:
    meta = getattr(resource, "meta", None)
    return [coding.code for coding in (getattr(meta, "security", None) or []) if coding.system == system]


def codings(concept, system: str) -> list:
    return [coding for coding in (getattr(concept, "coding", None) or []) if coding.system == system]


def concept_text(concept) -> str:
    """A CodeableConcept as text: its text, else the first coding's display."""
    if concept is None:
        return ""
    if concept.text:
        return concept.text.strip()
    for coding in concept.coding or []:
        if coding.display:
            return coding.display.strip()
    return ""
