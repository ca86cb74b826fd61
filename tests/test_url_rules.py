"""Deny by default: every URL of the site declares who may reach it (prescriptions.access_rules).

The URLconf is walked recursively, including everything it includes, once as the tests run it
(TEST_IDP on) and once with every optional part switched on (test IdP and admin). A view without
a declared rule fails the walk; the middleware refuses such a view at run time as well (404).
Pages that need a login are then requested anonymously: each must send the visitor to the
landing page, never answer with a page.
"""

import importlib.util
import re
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.urls.resolvers import RoutePattern

from prescriptions import access_rules

# Django's admin is protected by its namespace: the access middleware treats every view under the
# "admin" namespace as STAFF (the admin's own views cannot carry our decorators).
ADMIN_NAMESPACE = "admin"


@dataclass(frozen=True)
class Route:
    route: str  # the full route, e.g. "prescriptions/<uuid:public_id>/"
    name: str  # "namespace:name", or "" when unnamed
    namespaces: tuple[str, ...]
    callback: object
    is_regex: bool

    @property
    def rule(self) -> str | None:
        rule = access_rules.rule_of(self.callback)
        if rule is None and ADMIN_NAMESPACE in self.namespaces:
            return access_rules.STAFF
        return rule


def every_route(urlconf=None) -> list[Route]:
    """Every URL pattern reachable from the URLconf, included ones too, with its full route."""

    def walk(resolver, prefix, namespaces, regex):
        for entry in resolver.url_patterns:
            pattern = entry.pattern
            here_regex = regex or not isinstance(pattern, RoutePattern)
            piece = str(pattern)
            if isinstance(entry, URLResolver):
                spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
                yield from walk(entry, prefix + piece, spaces, here_regex)
            elif isinstance(entry, URLPattern):
                name = ":".join(namespaces + (entry.name,)) if entry.name else ""
                yield Route(prefix + piece, name, namespaces, entry.callback, here_regex)

    return list(walk(get_resolver(urlconf), "", (), False))


def urlconf_with_everything_on():
    """A fresh copy of the site's URLconf built with the test IdP and the admin switched on,
    without touching the one the other tests use."""
    with override_settings(TEST_IDP=True, ADMIN_ENABLED=True):
        spec = importlib.util.find_spec(settings.ROOT_URLCONF)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


SAMPLE_VALUES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "slug": lambda: settings.SAML_ORG,
                 "str": lambda: "x", "path": lambda: "x"}


def concrete_url(route: Route) -> str:
    """A URL that resolves to the route, with sample values for its parameters."""
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"](), route.route)


def describe(routes) -> str:
    return ", ".join(f"/{r.route} ({r.name or 'unnamed'}: {getattr(r.callback, '__qualname__', r.callback)})"
                     for r in routes)


# --- the static walk ---

def test_the_walk_sees_every_part_of_the_site():
    """Guards the walker itself: it must reach into included URLconfs and namespaces."""
    names = {r.name for r in every_route()}
    assert {"site:landing", "prescriptions:valid", "prescriptions:detail", "prescriptions:dispensed",
            "prescriptions:history", "proxies:choose", "saml_acs", "testidp:sso", "set_language"} <= names
    everything = {r.name for r in every_route(urlconf_with_everything_on())}
    assert "testidp:sso" in everything
    assert any(name.startswith(f"{ADMIN_NAMESPACE}:") for name in everything)


@pytest.mark.parametrize("which", ["as tested (TEST_IDP on)", "test IdP and admin on"])
def test_every_view_declares_an_access_rule(which):
    urlconf = None if which.startswith("as tested") else urlconf_with_everything_on()
    assert settings.TEST_IDP, "run the suite with TEST_IDP=1 so that the test IdP's URLs are walked"
    routes = every_route(urlconf)
    undeclared = [r for r in routes if r.rule is None]
    assert not undeclared, f"views without an access rule: {describe(undeclared)}"
    unknown = [r for r in routes if r.rule not in access_rules.RULES]
    assert not unknown, f"views with an unknown access rule: {describe(unknown)}"


def test_pages_with_health_data_require_a_subject():
    rules = {r.name: r.rule for r in every_route()}
    for name in ("prescriptions:valid", "prescriptions:detail", "prescriptions:dispensed", "prescriptions:history"):
        assert rules[name] == access_rules.SUBJECT, name


def test_the_test_idp_is_absent_unless_switched_on():
    with override_settings(TEST_IDP=False, ADMIN_ENABLED=False):
        spec = importlib.util.find_spec(settings.ROOT_URLCONF)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    routes = every_route(module)
    assert not [r for r in routes if r.route.startswith("testidp/")]
    assert not [r for r in routes if ADMIN_NAMESPACE in r.namespaces]


# --- behaviour: anonymous visitors never get a page that needs a login ---

def protected_routes():
    return [r for r in every_route() if r.rule in (access_rules.SUBJECT, access_rules.LOGGED_IN)]


def test_there_are_protected_routes_to_check():
    assert len(protected_routes()) >= 5


@pytest.mark.parametrize("route", protected_routes(), ids=lambda r: r.name or r.route)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_request_to_a_protected_url_goes_to_the_landing_page(client, db, route, method):
    assert not route.is_regex, "give this route a path() so that it can be exercised"
    url = concrete_url(route)
    response = getattr(client, method)(url)
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].split("?")[0] == "/", (url, response["Location"])
    assert response.content == b""


def test_anonymous_request_to_a_staff_url_is_not_found(client, db):
    """The admin (operator console) exists only when switched on; even then anonymous visitors
    are not told it is there."""
    urlconf = urlconf_with_everything_on()
    staff = [r for r in every_route(urlconf) if r.rule == access_rules.STAFF and not r.is_regex]
    assert staff
    with override_settings(ROOT_URLCONF=urlconf):
        for route in staff:
            url = concrete_url(route)
            assert client.get(url).status_code == 404, url


# --- behaviour: the middleware refuses an undeclared view ---

def _undeclared_view(request):
    return HttpResponse("health data that no rule protects")


# The site's URLconf plus one view that declares nothing (the site's own names keep working, so
# that the error page can render).
urlpatterns = [path("undeclared/", _undeclared_view, name="undeclared"), path("", include(settings.ROOT_URLCONF))]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_a_rule_is_refused_at_run_time(client, db):
    response = client.get("/undeclared/")
    assert response.status_code == 404
    assert b"no rule protects" not in response.content
