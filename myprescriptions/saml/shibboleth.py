"""Shibboleth mode (AUTH_MODE=shibboleth): a Shibboleth SP in front of the site runs the SAML
exchange and passes the identity number and the AuthnContextClassRef in request headers.

Headers are only believed from an address in TRUSTED_PROXIES, and only in Shibboleth mode.
Everywhere else they are removed before any view runs, and the attempt is logged by header name
(never by value). The login itself goes through allauth like a SAML login, so the same User,
SocialAccount and Person are found whichever mode a person used before.
"""

import ipaddress
import logging
from functools import lru_cache

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import complete_social_login
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from myprescriptions.saml import assurance
from myprescriptions.saml.assurance import LoginRefused
from myprescriptions.site import closing
from prescriptions.access_rules import public

logger = logging.getLogger(__name__)


def meta_key(header: str) -> str:
    """The request.META key of a header as it travels ("Shib-AuthnContext-Class")."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def _identity_keys() -> set[str]:
    headers = (
        settings.SHIB_UID_HEADER,
        settings.SHIB_AUTHN_CONTEXT_HEADER,
        settings.SHIB_GIVEN_NAME_HEADER,
        settings.SHIB_FAMILY_NAME_HEADER,
    )
    return {meta_key(h) for h in headers if h}


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


def from_trusted_proxy(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def headers_trusted(request) -> bool:
    return settings.AUTH_MODE == "shibboleth" and from_trusted_proxy(request)


class UntrustedHeadersMiddleware:
    """Removes identity headers unless they come from the trusted Shibboleth proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        keys = _identity_keys()
        present = sorted(k for k in request.META if k in keys or k.startswith("HTTP_SHIB_"))
        if present and not headers_trusted(request):
            logger.warning(
                "identity headers ignored from an untrusted source",
                extra={"headers": present, "auth_mode": settings.AUTH_MODE, "remote_addr": request.META.get("REMOTE_ADDR", "")},
            )
            for key in present:
                del request.META[key]
        return self.get_response(request)


class HeaderAssertion:
    """What allauth's SAML provider reads from a processed response, taken from the headers."""

    def __init__(self, uid: str, authn_contexts: list[str], given_name: str, family_name: str):
        self.uid = uid
        self.authn_contexts = authn_contexts
        self.attributes = {"urn:oid:2.5.4.42": [given_name] if given_name else [], "urn:oid:2.5.4.4": [family_name] if family_name else []}
        if settings.SAML_UID_ATTRIBUTE:
            self.attributes[settings.SAML_UID_ATTRIBUTE] = [uid]

    def get_attributes(self):
        return self.attributes

    def get_nameid(self):
        return self.uid

    def get_nameid_format(self):
        return ""

    def get_last_authn_contexts(self):
        return self.authn_contexts


def _header(request, name: str) -> str:
    # Apache/nginx pass Shibboleth attributes as Latin-1-decoded text; names may carry non-ASCII.
    value = request.META.get(meta_key(name), "") if name else ""
    try:
        return value.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value.strip()


def read_headers(request) -> HeaderAssertion:
    uid = _header(request, settings.SHIB_UID_HEADER)
    if not uid:
        raise LoginRefused("invalid", 400)
    # Shibboleth joins several values with ";".
    contexts = [c.strip() for c in _header(request, settings.SHIB_AUTHN_CONTEXT_HEADER).split(";") if c.strip()]
    assurance.check_assurance(contexts)
    number = assurance.check_identity_number(uid)
    return HeaderAssertion(
        number,
        contexts,
        _header(request, settings.SHIB_GIVEN_NAME_HEADER),
        _header(request, settings.SHIB_FAMILY_NAME_HEADER),
    )


@public
def login(request):
    """The path the Shibboleth SP protects (a required session): by the time a request reaches it
    through the proxy, the headers carry the person who just logged in."""
    from myprescriptions.saml.views import refuse

    if settings.AUTH_MODE != "shibboleth":
        raise Http404
    if closing.is_closed():
        return refuse(request, "closed")
    if not from_trusted_proxy(request):
        return refuse(request, "invalid", 400)
    try:
        assertion = read_headers(request)
    except LoginRefused as refusal:
        return refuse(request, refusal.reason, refusal.status)
    provider = get_adapter().get_provider(request, "saml", client_id=settings.SAML_ORG)
    sociallogin = provider.sociallogin_from_response(request, assertion)
    sociallogin.state = {"process": "login"}
    next_url = request.GET.get("next", "")
    if next_url and get_account_adapter(request).is_safe_url(next_url):
        sociallogin.state["next"] = next_url
    logger.info("shibboleth login accepted")
    return complete_social_login(request, sociallogin)
