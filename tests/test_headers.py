"""Security headers and cookie flags on the responses a visitor gets, in-process.

The same header set is checked against a running gunicorn with production settings in
test_headers_gunicorn.py; here the pages that need a login through the test IdP are covered.
"""

import re
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import HOST, idp_answer, login, start_login

ROOT = Path(__file__).resolve().parents[1]


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(response):
    csp = csp_directives(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    # Every feature listed is switched off, none allowed for any origin.
    assert all(item.strip().endswith("=()") for item in policy.split(","))


def assert_not_stored(response):
    cache_control = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, response.headers["Cache-Control"]


def test_public_pages_carry_the_security_headers_and_are_not_stored(client, db):
    for url in ("/", reverse("site:logged_out")):
        response = client.get(url)
        assert response.status_code == 200
        assert_security_headers(response)
        assert_not_stored(response)


def test_every_logged_in_page_carries_the_headers_and_no_store(client, people):
    login(client, people["kari"].national_id)
    urls = [reverse("proxies:choose"), reverse("prescriptions:valid"), reverse("prescriptions:dispensed"),
            reverse("prescriptions:history")]
    prescription = people["kari"].prescriptions.first()
    urls.append(reverse("prescriptions:detail", args=[prescription.public_id]))
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert_security_headers(response)
        assert_not_stored(response)


def test_after_logout_the_pages_that_showed_data_show_nothing(client, people):
    """With no-store the browser's back button asks the server again, which now has no session."""
    login(client, people["kari"].national_id)
    valid = client.get(reverse("prescriptions:valid"))
    assert "Metformin Sandoz" in valid.content.decode()
    assert_not_stored(valid)
    client.post(reverse("site:logout"))
    again = client.get(reverse("prescriptions:valid"))
    assert again.status_code == 302
    assert "Metformin Sandoz" not in client.get(again["Location"], follow=True).content.decode()


def test_a_view_may_not_make_a_logged_in_page_cacheable(settings):
    """A public page may send its own Cache-Control; with a session cookie no-store wins."""
    from myprescriptions.hardening.headers import SecurityHeadersMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    def cacheable(request):
        response = HttpResponse("public")
        response.headers["Cache-Control"] = "public, max-age=600"
        return response

    middleware = SecurityHeadersMiddleware(cacheable)
    anonymous = middleware(RequestFactory().get("/"))
    assert anonymous.headers["Cache-Control"] == "public, max-age=600"
    request = RequestFactory().get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "x"
    assert_not_stored(middleware(request))


def _set_cookies(response) -> dict[str, dict]:
    """{name: {attribute: value}} from the Set-Cookie headers of one response."""
    found = {}
    for name, morsel in response.cookies.items():
        found[name] = {key: morsel[key] for key in ("secure", "httponly", "samesite", "max-age", "path")}
    return found


def test_login_across_the_idp_post_back_with_production_cookie_flags(client, people, settings):
    """Secure, HttpOnly, SameSite=Lax on every cookie, and the login still completes: the IdP's
    cross-site POST lands on the ACS, which parks it under allauth's saml-acs-session cookie
    (sent on the top-level GET redirect that follows, as SameSite=Lax allows)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = True
    seen = {}
    landing = client.get("/")
    seen.update(_set_cookies(landing))
    params = start_login(client)
    acs_path, fields = idp_answer(client, params, people["kari"].national_id)
    acs = client.post(acs_path, fields)
    assert acs.status_code == 302
    seen.update({f"acs:{k}": v for k, v in _set_cookies(acs).items()})
    assert "acs:saml-acs-session" in seen
    finish = client.get(acs["Location"])
    assert finish.status_code == 302
    seen.update(_set_cookies(finish))
    assert settings.SESSION_COOKIE_NAME in seen
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    seen.update(_set_cookies(switched))
    for name, flags in seen.items():
        assert flags["secure"], name
        assert flags["httponly"], name
        assert flags["samesite"].lower() in ("lax", "strict"), name
    # Logged in for real: the next page shows Kari's data.
    assert client.get(reverse("prescriptions:valid")).status_code in (200, 302)
    assert "_auth_user_id" in client.session


def test_the_csp_nonce_is_the_only_way_to_run_a_script(client, people):
    """The test IdP's auto-submitting form is the one page with a script: it has the nonce."""
    params = start_login(client)
    response = client.post("/testidp/sso/", {**params, "typed_number": people["kari"].national_id, "level": "high"})
    html = response.content.decode()
    nonces = set(re.findall(r"<script[^>]*\snonce=\"([^\"]+)\"", html))
    csp = csp_directives(response)
    for nonce in nonces:
        assert f"'nonce-{nonce}'" in csp["script-src"]
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "nonce=" in tag or "src=" in tag, tag


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("myprescriptions/*/templates")]
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)


def _templates():
    for directory in TEMPLATE_DIRS:
        yield from directory.rglob("*.html")


@pytest.mark.parametrize("path", sorted(_templates()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_needs_unsafe_inline(path):
    """The CSP forbids inline handlers, inline styles and scripts without the nonce; a template
    that had one would silently break in the browser."""
    source = path.read_text(encoding="utf-8")
    assert not INLINE_HANDLER.search(source), "inline event handler"
    assert not INLINE_STYLE.search(source), "inline style attribute"
    assert not INLINE_SCRIPT.search(source), "script without src or nonce"
    assert "<style" not in source, "inline <style> element"


def test_no_policy_anywhere_allows_unsafe_inline_or_eval():
    code = [*ROOT.glob("myprescriptions/**/*.py"), *ROOT.glob("prescriptions/**/*.py"), *ROOT.glob("proxies/**/*.py")]
    for path in code:
        source = path.read_text(encoding="utf-8")
        assert "unsafe-inline" not in source and "unsafe-eval" not in source, path
    for value in settings.SECURE_CSP.values():
        assert not any("unsafe" in str(v) for v in value)

