"""Builds python3-saml settings for allauth's SAML provider, adding what allauth leaves out:
RequestedAuthnContext, signed assertions required, the IdP read from a local metadata copy
(never fetched during a login), several IdP signing certificates, and the SP key pair."""

import copy
from functools import lru_cache
from pathlib import Path

from allauth.socialaccount.providers.saml.utils import build_saml_config, prepare_django_request
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

BUILTIN_TEST_IDP = "testidp"


def metadata_source() -> str:
    return settings.SAML_IDP_METADATA or (BUILTIN_TEST_IDP if settings.TEST_IDP else "")


def cached_metadata_path() -> Path:
    """Where refresh_idp_metadata keeps the last good copy of remote metadata."""
    return Path(settings.VAR_DIR) / "idp-metadata-cache.xml"


@lru_cache(maxsize=8)
def _parse_metadata(path: str, version: tuple) -> dict:
    xml = Path(path).read_text(encoding="utf-8")
    return parse_metadata(xml)


def _file_version(path: Path) -> tuple:
    """What tells one version of the file from the next: refresh_idp_metadata replaces the file (a
    new inode), and the size and modification time catch an edit in place."""
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def parse_metadata(xml: str) -> dict:
    idp = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    if not idp.get("entityId") or not idp.get("singleSignOnService", {}).get("url"):
        raise ImproperlyConfigured("IdP metadata lacks an entityID or an HTTP-Redirect SingleSignOnService")
    if not (idp.get("x509cert") or idp.get("x509certMulti", {}).get("signing")):
        raise ImproperlyConfigured("IdP metadata has no signing certificate")
    return idp


def idp_settings(request) -> dict:
    source = metadata_source()
    if source == BUILTIN_TEST_IDP:
        if not settings.TEST_IDP:
            raise ImproperlyConfigured("SAML_IDP_METADATA=testidp needs TEST_IDP on")
        from myprescriptions.testidp.idp import metadata_xml

        return parse_metadata(metadata_xml(request))
    if not source:
        raise ImproperlyConfigured("SAML_IDP_METADATA is not set")
    path = cached_metadata_path() if source.startswith(("https://", "http://")) else Path(source)
    if not path.exists():
        raise ImproperlyConfigured(f"IdP metadata file {path} is missing: run manage.py refresh_idp_metadata")
    # Parsed once per version of the file and process; each request gets its own copy to change.
    return copy.deepcopy(_parse_metadata(str(path), _file_version(path)))


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8") if path else ""


def build_settings(request, provider) -> dict:
    provider_config = copy.deepcopy(provider.app.settings)
    idp = idp_settings(request)
    # allauth needs these keys present; the full IdP dict (with every signing cert) replaces them below.
    provider_config["idp"] = {"entity_id": idp["entityId"], "x509cert": "", "sso_url": ""}
    config = build_saml_config(request, provider_config, provider.app.client_id)
    config["idp"] = idp
    security = config["security"]
    security.update(
        {
            "requestedAuthnContext": list(settings.SAML_AUTHN_CONTEXTS),
            "requestedAuthnContextComparison": "exact",
            "wantAssertionsSigned": True,
            "rejectDeprecatedAlgorithm": True,
            "rejectUnsolicitedResponsesWithInResponseTo": True,
            "allowSingleLabelDomains": False,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
        }
    )
    cert, key = _read(settings.SAML_SP_CERT_FILE), _read(settings.SAML_SP_KEY_FILE)
    if cert and key:
        config["sp"]["x509cert"] = cert
        config["sp"]["privateKey"] = key
        security.update({"authnRequestsSigned": True, "logoutRequestSigned": True, "logoutResponseSigned": True})
    next_cert = _read(settings.SAML_SP_NEXT_CERT_FILE)
    if next_cert:
        # Published in our metadata before it becomes active, so the IdP trusts it in time.
        config["sp"]["x509certNew"] = next_cert
    return config


def build_auth(request, provider) -> OneLogin_Saml2_Auth:
    # python3-saml reads the allowed drift from a class constant (300 s by default); ours is a setting.
    OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = settings.SAML_CLOCK_SKEW_SECONDS
    return OneLogin_Saml2_Auth(prepare_django_request(request), build_settings(request, provider))
