"""The cookie registry cannot lie: a full visit (landing → consent → login through the test IdP →
every logged-in page → switch person → logout) records every Set-Cookie the service sends, and
each one must be in myprescriptions.site.cookies with the lifetime, path, HttpOnly, SameSite and
(under the production settings) Secure that the cookie page claims. Consent and the language
cookie are tested here too."""

import json
import secrets
import os
import subprocess
import sys
from email.utils import parsedate_to_datetime
from pathlib import Path

import lxml.html
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from myprescriptions.site import consent, cookies
from prescriptions import access_rules
from prescriptions.models import Prescription
from tests.conftest import HOST, login

BASE_DIR = Path(__file__).resolve().parent.parent


class RecordingClient(Client):
    """A test client that keeps every Set-Cookie of every response, redirects included."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []  # (path requested, morsel)

    def request(self, **request):
        response = super().request(**request)
        for morsel in response.cookies.values():
            self.seen.append((request.get("PATH_INFO", ""), morsel))
        return response

    def names(self, *, set_only=False):
        return {m.key for _path, m in self.seen if not (set_only and is_deletion(m))}


@pytest.fixture
def recorder():
    return RecordingClient(HTTP_HOST=HOST)


def is_deletion(morsel) -> bool:
    if str(morsel["max-age"]) == "0":
        return True
    return bool(morsel["expires"]) and parsedate_to_datetime(morsel["expires"]).year <= 1970


def page_urls(rules, kwargs_for):
    """Every URL pattern whose view has one of these access rules and whose arguments we can
    fill, reversed; so pages added later are visited too."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name and access_rules.rule_of(entry.callback) in rules:
                wanted = set(entry.pattern.converters)
                if wanted - set(kwargs_for):
                    continue
                found.append(reverse(f"{namespace}{entry.name}", kwargs={k: kwargs_for[k] for k in wanted}))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def visit_every_page(client, subject_person):
    """GET every logged-in page; POST-only ones answer 405, which is fine: no page may fail."""
    prescription = Prescription.objects.filter(patient=subject_person).first()
    urls = page_urls({access_rules.LOGGED_IN, access_rules.SUBJECT}, {"public_id": prescription.public_id})
    assert reverse("prescriptions:valid") in urls and reverse("proxies:powers") in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
    return urls


def full_flow(client, people, *, accept=True, language="nn"):
    assert client.get("/").status_code == 200
    if accept is not None:
        choice = consent.ALL if accept else consent.ESSENTIAL
        assert client.post(reverse("site:consent"), {"choice": choice, "next": "/"}).status_code == 302
    assert client.post(reverse("set_language"), {"language": language, "next": "/"}).status_code == 302
    for public in ("site:cookies", "site:accessibility"):
        assert client.get(reverse(public)).status_code == 200
    response = login(client, people["kari"].national_id)
    assert client.get(response["Location"], follow=True).status_code == 200
    visit_every_page(client, people["kari"])
    switched = client.post(reverse("proxies:switch"), {"person": people["emma"].pk})
    assert switched.status_code == 302
    visit_every_page(client, people["emma"])
    response = client.post(reverse("site:logout"), follow=True)
    assert response.status_code == 200
    assert client.get("/prescriptions/").status_code == 302  # really logged out


def test_every_cookie_of_a_full_visit_is_in_the_registry_as_claimed(recorder, people):
    full_flow(recorder, people, accept=True)
    # The flow exercised the cookies that matter, so the checks below are not vacuous.
    assert {"mrsession", "csrftoken", "saml-acs-session", "mrconsent", "django_language"} <= recorder.names()
    for path, morsel in recorder.seen:
        entry = cookies.find(morsel.key)
        assert entry is not None, f"{morsel.key} (set on {path}) is not in the cookie registry"
        if is_deletion(morsel):
            continue
        assert entry.set_by == cookies.SERVICE
        assert bool(morsel["httponly"]) == entry.http_only, morsel.key
        assert (morsel["samesite"] or None) == entry.same_site, morsel.key
        assert (morsel["path"] or "/") == entry.path, morsel.key
        if entry.max_age is None:
            assert not morsel["max-age"] and not morsel["expires"], f"{morsel.key} should end with the browser"
        else:
            assert int(morsel["max-age"]) == entry.max_age, morsel.key


def test_no_optional_cookie_without_consent_and_the_language_lasts_the_session(recorder, people):
    full_flow(recorder, people, accept=None, language="en")
    assert cookies.optional_names().isdisjoint(recorder.names()), recorder.names()
    # The language chosen before login was kept in the session all along, and across logout.
    assert 'lang="en"' in recorder.get("/").content.decode()


def test_only_essential_sets_no_optional_cookie(recorder, people):
    full_flow(recorder, people, accept=False, language="nn")
    assert cookies.optional_names().isdisjoint(recorder.names())
    assert recorder.cookies[consent.COOKIE_NAME].value == consent.ESSENTIAL


def production_cookie_settings():
    """The *_COOKIE_SECURE settings as production loads them (DEBUG off, a real secret)."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "TEST_IDP": "0",
        "SECRET_KEY": "production-like-" + secrets.token_urlsafe(48),
        "DJANGO_SETTINGS_MODULE": "myprescriptions.settings",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.endswith('_COOKIE_SECURE')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_under_production_settings_every_cookie_claimed_secure_is_secure(recorder, people, settings):
    production = production_cookie_settings()
    assert production and all(production.values()), production
    for name, value in production.items():
        setattr(settings, name, value)
    full_flow(recorder, people, accept=True)
    checked = set()
    for _path, morsel in recorder.seen:
        entry = cookies.find(morsel.key)
        if is_deletion(morsel):
            continue
        assert bool(morsel["secure"]) == bool(entry.secure_in_production), morsel.key
        checked.add(morsel.key)
    assert {"mrsession", "csrftoken", "saml-acs-session", "mrconsent", "django_language"} <= checked


# --- consent ---


def banner(response):
    doc = lxml.html.fromstring(response.content.decode())
    return doc.xpath("//section[contains(@class, 'consent-banner')]")


def test_banner_on_first_visit_works_as_plain_forms_and_goes_once_answered(client, db):
    first = client.get("/")
    (section,) = banner(first)
    form = section.xpath(".//form")[0]
    assert form.get("method") == "post" and form.get("action") == reverse("site:consent")
    assert sorted(b.get("value") for b in form.xpath(".//button[@name='choice']")) == ["all", "essential"]
    assert not section.xpath(".//script")
    response = client.post(reverse("site:consent"), {"choice": "essential", "next": "/accessibility/"})
    assert response["Location"] == "/accessibility/"
    assert client.cookies[consent.COOKIE_NAME].value == "essential"
    assert banner(client.get("/")) == []
    assert banner(client.get("/accessibility/")) == []


@pytest.mark.parametrize("forged", ["yes", "ALL", "", "all;essential", "1"])
def test_a_forged_consent_value_is_ignored(client, db, forged):
    response = client.post(reverse("site:consent"), {"choice": forged, "next": "/"})
    assert response.status_code == 302
    assert consent.COOKIE_NAME not in response.cookies
    assert banner(client.get("/"))


def test_a_forged_consent_cookie_counts_as_no_answer_and_the_language_cookie_is_not_used(client, db):
    client.cookies[consent.COOKIE_NAME] = "all-the-things"
    client.cookies["django_language"] = "en"
    response = client.get("/")
    assert banner(response)
    assert 'lang="nb"' in response.content.decode()
    # The optional cookie found without consent is removed.
    assert is_deletion(response.cookies["django_language"])


def test_consent_next_must_be_a_local_path(client, db):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(reverse("site:consent"), {"choice": "all", "next": target})
        assert response["Location"] == reverse("site:cookies")


def test_accepting_keeps_the_language_for_the_next_visit_and_withdrawing_removes_it(client, db):
    client.post(reverse("set_language"), {"language": "nn", "next": "/"})
    assert "django_language" not in client.cookies
    client.post(reverse("site:consent"), {"choice": "all", "next": "/cookies/"})
    assert client.cookies["django_language"].value == "nn"
    # A new visit: the browser was closed, so only the lasting cookies remain.
    returning = Client(HTTP_HOST=HOST)
    for name in (consent.COOKIE_NAME, "django_language"):
        returning.cookies[name] = client.cookies[name].value
    assert 'lang="nn"' in returning.get("/").content.decode()
    # Changing one's mind on the cookie page removes the language cookie at once.
    response = returning.post(reverse("site:consent"), {"choice": "essential", "next": "/cookies/"})
    assert is_deletion(response.cookies["django_language"])
    page = returning.get("/cookies/").content.decode()
    assert "Du har valt berre nødvendige informasjonskapslar." in page


def test_without_consent_the_language_is_forgotten_when_the_browser_closes(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/").content.decode()
    returning = Client(HTTP_HOST=HOST)  # no session cookie any more
    assert 'lang="nb"' in returning.get("/").content.decode()


@pytest.mark.parametrize("code", ["de", "xx", "", "en-us", "nb'><script>", "EN"])
def test_an_unknown_language_code_is_ignored(client, db, code):
    client.post(reverse("set_language"), {"language": "nn", "next": "/"})
    response = client.post(reverse("set_language"), {"language": code, "next": "/"})
    assert response.status_code == 302
    assert 'lang="nn"' in client.get("/").content.decode()


def test_set_language_redirects_only_to_local_paths(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    response = client.post(reverse("set_language"), {"language": "en", "next": "/cookies/?x=1"})
    assert response["Location"] == "/cookies/?x=1"


# --- the cookie page ---


@pytest.mark.parametrize(
    "code, heading, essential",
    [
        ("nb", "Informasjonskapsler på Mine resepter", "Nødvendige informasjonskapsler"),
        ("nn", "Informasjonskapslar på Mine resepter", "Nødvendige informasjonskapslar"),
        ("en", "Cookies on My Prescriptions", "Essential cookies"),
    ],
)
def test_the_cookie_page_lists_the_registry_in_each_language(client, db, code, heading, essential):
    client.post(reverse("set_language"), {"language": code, "next": "/"})
    doc = lxml.html.fromstring(client.get(reverse("site:cookies")).content.decode())
    assert doc.get("lang") == code
    assert doc.xpath("string(//h1)") == heading
    assert essential in doc.xpath("//h2/text()")
    names = [n.strip() for n in doc.xpath("//li[@class='cookie']/h3/code/text()")]
    assert names == [c.name for c in cookies.registry() if c.set_by == cookies.SERVICE and c.essential] + [
        c.name for c in cookies.registry() if c.optional
    ]
    # No infrastructure cookies in a deployment without that infrastructure.
    assert "BIGipServer*" not in names and "_shibsession_*" not in names


def test_infrastructure_cookies_are_listed_when_deployed_so(client, db, settings):
    settings.INFRASTRUCTURE_COOKIES = ["bigip"]
    settings.AUTH_MODE = "shibboleth"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    doc = lxml.html.fromstring(client.get(reverse("site:cookies")).content.decode())
    text = doc.text_content()
    assert "BIGipServer*" in text and "_shibsession_*" in text
    assert "The load balancer in front of the service" in text


def test_the_registry_describes_lifetimes_and_every_cookie_fully():
    for entry in cookies.all_cookies():
        assert entry.name and str(entry.purpose) and entry.lifetime
        assert entry.set_by in cookies.SETTERS
    assert [c.name for c in cookies.all_cookies() if c.optional] == [django_settings.LANGUAGE_COOKIE_NAME]
    assert cookies.find("BIGipServer~Common~pool_mr") is not None
    assert cookies.find("_shibsession_64656661756c74") is not None
    assert cookies.find("sessionid") is None


def test_the_page_says_secure_only_where_the_installation_makes_it_so(client, db, settings):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    settings.SESSION_COOKIE_SECURE = False
    page = client.get(reverse("site:cookies")).content.decode()
    assert "this development installation also sends it without encryption" in page
    settings.SESSION_COOKIE_SECURE = True
    page = client.get(reverse("site:cookies")).content.decode()
    assert "Only sent over encrypted connections (Secure)." in page
    assert "development installation" not in page
