"""Logs: JSON lines with a request id, and no identity number, name or drug name in any of them.

The big test runs a whole visit (login, every page, switching person, granting and ending a power
of attorney, the operator console, bad input, forged SAML responses, logout, a bad FHIR file)
with every logger at DEBUG, and scans the *raw* output, before the redaction filter: the filter
is only a safety net, and a leak must be fixed where it is logged.
"""

import base64
import datetime
import io
import json
import logging
import logging.config
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from myprescriptions.hardening.logs import REDACTED, JsonFormatter, RedactIdentityNumbers, logging_config, redact
from myprescriptions.hardening.request_id import incoming_id
from prescriptions import identity
from prescriptions.models import Medication, Practitioner, Prescription
from proxies.models import PowerOfAttorney
from tests.conftest import HOST, idp_answer, login, start_login
from tests.test_admin import CONSOLE, console  # noqa: F401  (the fixture)

KARI_NUMBER_LIKE = re.compile(r"(?<![0-9])([0-9]{6}) ?([0-9]{5})(?![0-9])")


class Capture:
    """The production logging configuration at its most verbose (LOG_LEVEL=DEBUG), plus a handler
    that keeps every record as it was logged: formatted like production, without the redaction."""

    def __init__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    def __enter__(self):
        config = logging_config("DEBUG", "json")
        config["handlers"]["stdout"]["stream"] = io.StringIO()  # the redacted copy is not what we scan
        logging.config.dictConfig(config)
        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self.handler)
        logging.config.dictConfig(settings.LOGGING)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


def named_urls(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def every_page_without_arguments():
    urls = set()
    for name in named_urls():
        try:
            urls.add(reverse(name))
        except NoReverseMatch:
            continue  # needs arguments: visited with real ones below
    return sorted(urls)


def visit_everything(client, subject):
    for url in every_page_without_arguments():
        if url.endswith("/logout/"):
            continue
        client.get(url)
    for prescription in Prescription.objects.filter(patient=subject):
        client.get(reverse("prescriptions:detail", args=[prescription.public_id]))
    client.get(reverse("prescriptions:dispensed"), {"start": "not a date", "end": "2020-13-45"})


def forged_saml_responses(client, people):
    """A response whose NameID was changed after signing, garbage, a replay and a low level."""
    params = start_login(client)
    acs_path, fields = idp_answer(client, params, people["kari"].national_id)
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert people["kari"].national_id in xml
    tampered = xml.replace(people["kari"].national_id, people["nils"].national_id)
    client.post(acs_path, {**fields, "SAMLResponse": base64.b64encode(tampered.encode()).decode()}, follow=True)
    client.post(acs_path, {"SAMLResponse": "not base64 at all %%%", "RelayState": ""}, follow=True)
    params = start_login(client)
    acs_path, fields = idp_answer(client, params, people["nils"].national_id, level="substantial")
    client.post(acs_path, fields, follow=True)
    params = start_login(client)
    acs_path, fields = idp_answer(client, params, people["nils"].national_id)
    client.post(acs_path, fields, follow=True)
    client.post("/logout/", follow=True)
    client.post(acs_path, fields, follow=True)  # the same assertion again


def demo_words(people) -> set[str]:
    words = set()
    for person in people.values():
        words |= {person.given_name, person.family_name, person.full_name}
    for practitioner in Practitioner.objects.all():
        words |= {practitioner.name, *practitioner.name.replace("Dr. ", "").replace("Tannlege ", "").split()}
    for medication in Medication.objects.all():
        words |= {medication.name, medication.name.split()[0]}
    return {word for word in words if len(word) >= 2}


def leaks(text: str, people) -> list[str]:
    found = []
    for match in KARI_NUMBER_LIKE.finditer(text):
        if identity.is_valid(match.group(1) + match.group(2)):
            found.append(f"identity number {match.group(0)}")
    for person in people.values():
        if identity.mask(person.national_id) in text:
            found.append(f"masked number of {person.given_name}")
    for word in demo_words(people):
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            found.append(f"name {word!r}")
    return found


def test_a_whole_visit_leaves_no_identity_number_name_or_drug_in_the_logs(people, console, tmp_path):  # noqa: F811
    browser = Client(HTTP_HOST=HOST, raise_request_exception=False)
    kari, emma, per, nils = people["kari"], people["emma"], people["per"], people["nils"]
    # Kari is an operator too: her first login creates her account, then the command runs.
    login(browser, kari.national_id)
    call_command("grant_operator", kari.national_id, stdout=io.StringIO())
    browser.post("/logout/", follow=True)

    with Capture() as capture:
        browser.get("/")
        login(browser, kari.national_id)
        visit_everything(browser, kari)
        for other in (emma, per):
            browser.post(reverse("proxies:switch"), {"person": other.pk}, follow=True)
            visit_everything(browser, other)
        browser.post(reverse("proxies:self"), follow=True)
        # Grant Nils a power of attorney, confirm, end it; then bad input in the same form.
        browser.post(reverse("proxies:grant"), {"national_id": nils.national_id, "ends_on": ""}, follow=True)
        browser.post(reverse("proxies:grant_confirm"), {"action": "confirm"}, follow=True)
        granted = PowerOfAttorney.objects.get(grantor=kari, holder=nils, ended_at__isnull=True)
        browser.post(reverse("proxies:end", args=[granted.pk]), follow=True)
        browser.post(reverse("proxies:grant"), {"national_id": "12345678901", "ends_on": "yesterday"}, follow=True)
        unknown = identity.make_synthetic(people["ola"].birth_date.replace(year=1990), 400)
        browser.post(reverse("proxies:grant"), {"national_id": unknown, "ends_on": ""}, follow=True)
        # The operator console: lists and a change page with health data.
        for path in ("", "prescriptions/person/", "prescriptions/prescription/", "prescriptions/dispense/",
                     f"prescriptions/person/{emma.pk}/change/"):
            browser.get(f"{CONSOLE}{path}")
        browser.get("/no-such-page/")
        browser.post("/logout/", follow=True)
        forged_saml_responses(browser, people)
        web_lines = capture.lines()
        with pytest.raises(CommandError):  # every file in there is bad in its own way
            call_command("import_fhir", "examples/fhir/bad", "--workers", "1", "--no-progress",
                         stdout=io.StringIO(), stderr=io.StringIO())

    text = capture.text
    # The capture saw the visit: our request lines, Django's 404 warning, the SAML refusals.
    loggers = {line["logger"] for line in web_lines}
    assert {"myprescriptions.requests", "django.request"} <= loggers
    assert any(line.get("status") == 200 and line["path"].startswith(CONSOLE) for line in web_lines)
    assert len(web_lines) > 100
    assert all(line["request_id"] for line in web_lines), [l for l in web_lines if not l["request_id"]][:3]
    assert leaks(text, people) == []


def test_the_leak_scan_would_notice(people):
    """The scan above can fail: a name, a drug and a number in a line are all found."""
    kari = people["kari"]
    line = f'{{"message": "Kari Nordmann got Metformin Sandoz", "id": "{kari.national_id}"}}'
    found = leaks(line, people)
    assert "name 'Kari'" in found and "name 'Metformin'" in found
    assert any(item.startswith("identity number") for item in found)


# --- the parts -------------------------------------------------------------------------------


def test_redact_removes_valid_numbers_only():
    number = identity.make_synthetic(datetime.date(1984, 5, 17), 123)
    assert redact(f"user {number} logged in") == f"user {REDACTED} logged in"
    assert redact(f"split {number[:6]} {number[6:]}") == f"split {REDACTED}"
    assert redact("phone 12345678901 and GLN 7080001000011") == "phone 12345678901 and GLN 7080001000011"
    assert redact(f"longer run 9{number}") == f"longer run 9{number}"


def _record(msg, *args, exc_info=None, **extra):
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_filter_redacts_message_arguments_extras_and_tracebacks_in_a_copy():
    number = identity.make_synthetic(datetime.date(1950, 1, 12), 200)
    try:
        raise ValueError(f"Key (national_id)=({number}) already exists.")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = _record("lookup of %s failed", number, exc_info=exc_info, detail={"uid": number, "n": int(number)})
    clean = RedactIdentityNumbers().filter(record)
    output = JsonFormatter().format(clean)
    assert number not in output
    assert output.count(REDACTED) == 4  # message, uid, n, traceback
    # Other handlers still get the record as logged.
    assert record.getMessage() == f"lookup of {number} failed"


def test_json_lines_carry_extras_but_not_the_request_object():
    line = json.loads(JsonFormatter().format(_record("hi", status=503, request=object(), duration_ms=1.5)))
    assert line["message"] == "hi" and line["status"] == 503 and line["duration_ms"] == 1.5
    assert "request" not in line
    assert set(line) >= {"time", "level", "logger", "message", "request_id"}


def test_the_production_handler_redacts_a_number_typed_into_the_address(client, db):
    """What reaches stdout in production, through the configured handler and its filter."""
    number = identity.make_synthetic(datetime.date(1977, 7, 17), 300)
    stdout = io.StringIO()
    config = logging_config("INFO", "json")
    config["handlers"]["stdout"]["stream"] = stdout
    logging.config.dictConfig(config)
    try:
        client.get(f"/{number}/")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    out = stdout.getvalue()
    assert '"Not Found: /[redacted-id]/"' in out
    assert number not in out


@pytest.mark.parametrize(
    "raw,kept",
    [
        ("lb-7f3a9c21e0", True),
        ("0123456789abcdef0123456789abcdef", True),
        ("short", False),
        ("has space inside", False),
        ('quote"inside-123', False),
        ("x" * 65, False),
        ("line\nbreak-123456", False),
    ],
)
def test_incoming_request_ids(raw, kept):
    assert (incoming_id(raw) == raw) is kept


def test_an_incoming_request_id_holding_an_identity_number_is_replaced(client, db):
    number = identity.make_synthetic(datetime.date(1990, 3, 3), 100)
    assert incoming_id(f"req-{number}") is None
    response = client.get("/", HTTP_X_REQUEST_ID=f"req-{number}")
    assert number not in response.headers["X-Request-ID"]
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c21e0")
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21e0"
