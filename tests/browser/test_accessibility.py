"""Every page, in nb, nn and en: axe-core (WCAG 2.0/2.1 A and AA, best practice); one h1, landmarks, the skip
link first, <html lang>, errors tied to their fields; and reflow at 320 CSS px and at 200 % zoom.

Each language's test crawls every page reachable by links: public pages logged out, then Kari's own
pages, her child Emma's and her principal Per's; it adds the pages only a form or an error leads to.
A last check fails when a URL pattern that renders a page was visited by none of this.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from myprescriptions.hardening import views as error_views

from tests.browser import flows
from tests.browser.crawl import Audit

pytestmark = pytest.mark.browser

LANGUAGES = ["nb", "nn", "en"]

# URL names that are not pages a person looks at, and why the crawl does not visit them.
NOT_PAGES = {
    "set_language": "POST only: the language switch",
    "site:logout": "POST only: the log-out button",
    "proxies:switch": "POST only: a choice on the person page",
    "proxies:self": "POST only: back to one's own prescriptions",
    "proxies:end": "POST only: the button that ends a power of attorney",
    "saml_acs": "the IdP posts the SAML response here; it redirects",
    "saml_finish_acs": "redirects after the ACS, or renders the refusal page (checked as saml_finish_acs)",
    "saml_metadata": "XML for the IdP",
    "saml_sls": "single logout: redirects",
    "testidp:slo": "the test IdP's logout endpoint: redirects",
    "testidp:metadata": "XML for the service",
    "testidp:logout": "POST only: the test IdP's button for IdP-initiated logout",
    "site:consent": "POST only: the consent banner's and the cookie page's buttons",
    "prescriptions:export": "a file download (FHIR JSON), not a page; test_journeys downloads it",
    "accounts:session_status": "JSON for the session-expiry warning",
    "accounts:keep_alive": "POST only: the session-expiry warning's keep-alive",
    "health:live": "a probe for the load balancer",
    "health:ready": "a probe for the load balancer",
    "shibboleth_login": "only with AUTH_MODE=shibboleth: redirects to the Shibboleth SP",
}


def all_url_names():
    names = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner)
            elif pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver())
    return names


def served(html):
    return lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8")


def check_error_pages(tab, audit, language):
    """A real CSRF failure (a form that outlived its token), then the pages the other error handlers
    render (400, 403, 500, 503), which no click can cause; they are served to the browser as rendered."""
    tab.goto("/")
    tab.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    with tab.expect_navigation() as sent:
        tab.locator("form.language-switch button[type=submit]").first.click()
    assert sent.value.status == 403
    audit.check(tab, "CSRF failure")
    request = RequestFactory().get("/", HTTP_HOST=tab.url.split("/")[2])
    request.LANGUAGE_CODE = language
    handlers = {
        "400": error_views.bad_request, "403": error_views.permission_denied,
        "500": error_views.server_error, "503": error_views.database_unavailable,
    }
    for status, handler in handlers.items():
        html = handler(request).content.decode()
        preview = f"/error-page-{status}/"
        tab.route(f"**{preview}", served(html))
        tab.goto(preview)
        audit.check(tab, f"error page {status}")
        tab.unroute(f"**{preview}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_accessible_in(language, open_tab, live_server, demo_people):
    audit = Audit(language)
    origin = live_server.url
    tab = open_tab()

    # Logged out: the landing page (with the consent banner on a first visit) and every public page.
    tab.goto("/")
    if language != "nb":
        flows.switch_language(tab, language)
    audit.check(tab, "landing, first visit")
    flows.answer_consent_if_asked(tab)
    audit.crawl(tab, "/", origin, "public")
    for path in ["/logged-out/", "/this-page-does-not-exist/", "/auth/saml/eid/login/", "/testidp/sso/"]:
        tab.goto(path)
        audit.check(tab)
    check_error_pages(tab, audit, language)

    # The test IdP: its page, its error messages, and its answer page as seen without JavaScript.
    tab.goto("/")
    flows.press_log_in(tab)
    audit.check(tab, "test IdP")
    flows.follow(tab, tab.locator("main form button[type=submit]"))
    audit.check(tab, "test IdP, nothing chosen")
    tab.locator("input[name=typed_number]").fill("12345678901")
    flows.follow(tab, tab.locator("main form button[type=submit]"))
    audit.check(tab, "test IdP, invalid number")
    tab.locator("input[name=typed_number]").fill("")
    tab.route("**/autosubmit.js", lambda route: route.abort())
    flows.choose_at_idp(tab, "Kari Nordmann")
    tab.wait_for_selector("form[data-autosubmit]")
    audit.check(tab, "test IdP answer without JavaScript")
    flows.follow(tab, tab.locator("form[data-autosubmit] button[type=submit]"))
    flows.wait_until_back(tab)
    tab.unroute("**/autosubmit.js")

    # Kari: the person page, her own pages, a period in error, then as Emma's parent and Per's proxy.
    audit.check(tab, "after login")
    tab.goto(reverse("testidp:index"))
    audit.check(tab, "the test IdP's session page")
    audit.crawl(tab, "/choose/", origin, "Kari")
    tab.goto(reverse("prescriptions:dispensed") + "?start=2026-05-10&end=2026-01-01")
    audit.check(tab, "dispensed, period in error")
    # Giving a power of attorney: a number in error, the confirmation page, and cancelling it.
    tab.goto(reverse("proxies:powers"))
    grant = tab.locator(f"form[action='{reverse('proxies:grant')}']")
    grant.locator("input[name=national_id]").fill("12345678901")
    flows.follow(tab, grant.locator("button[type=submit]"))
    audit.check(tab, "powers, number in error")
    grant.locator("input[name=national_id]").fill(demo_people["nils"].national_id)
    flows.follow(tab, grant.locator("button[type=submit]"))
    audit.check(tab, "grant, confirm")
    flows.follow(tab, tab.locator("button[name=action][value=cancel]"))
    audit.check(tab, "powers, nothing saved")
    for name in ["Emma Nordmann", "Per Hansen"]:
        flows.choose_person(tab, name)
        audit.crawl(tab, "/prescriptions/", origin, name)
    flows.log_out(tab)
    audit.check(tab, "after logout")

    # A refused login (low assurance).
    refused = open_tab()
    refused.goto("/")
    if language != "nb":
        flows.switch_language(refused, language)
    flows.answer_consent_if_asked(refused)
    flows.log_in(refused, "Kari Nordmann", level="substantial", start=False)
    audit.check(refused, "login refused")
    # An account an operator has switched off: allauth's page, in our layout.
    flows.log_in(refused, "Nils Olsen")
    flows.log_out(refused)
    get_user_model().objects.filter(person=demo_people["nils"]).update(is_active=False)
    flows.log_in(refused, "Nils Olsen")
    assert refused.locator(f"header form[action='{reverse('site:logout')}']").count() == 0
    audit.check(refused, "account switched off")

    missing = all_url_names() - set(audit.visited) - set(NOT_PAGES) - audit.downloads
    print(f"[{language}] seconds spent: " + ", ".join(f"{k} {v:.1f}" for k, v in audit.seconds.items()))
    print(f"[{language}] pages checked: " + ", ".join(f"{n} ×{len(p)}" for n, p in sorted(audit.visited.items())))
    assert not audit.failures, f"{len(audit.failures)} problems:\n\n" + "\n\n".join(audit.failures)
    assert not missing, f"pages no check reached (link them, or list them in NOT_PAGES with a reason): {sorted(missing)}"
