"""A small but real SAML IdP for development and tests, in the spirit of ID-porten's TestID.

It signs with RSA-SHA256 using a key generated on first use under TEST_IDP_DIR (never committed).
The same response builder serves the browser flow and the tests that need hostile variants.
"""

import datetime
import os
import tempfile
import uuid
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.urls import reverse
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

ENTITY_ID = "urn:myprescriptions:testidp"
LEVELS = {
    "high": "http://eidas.europa.eu/LoA/high",
    "substantial": "http://eidas.europa.eu/LoA/substantial",
}


def generate_key_pair(common_name: str, *, days: int = 3650) -> tuple[str, str]:
    """A fresh RSA key and self-signed certificate, as PEM strings."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pair() -> tuple[str, str]:
    """The test IdP's signing key, generated once and shared by every process."""
    path = Path(settings.TEST_IDP_DIR) / "testidp-signing.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = generate_key_pair("My Prescriptions test IdP")
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(key_pem + cert_pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic; if another process won the race, use its key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    text = path.read_text()
    marker = "-----BEGIN CERTIFICATE-----"
    index = text.index(marker)
    return text[:index], text[index:]


def cert_body(cert_pem: str) -> str:
    return "".join(line for line in cert_pem.strip().splitlines() if "CERTIFICATE" not in line)


def metadata_xml(request) -> str:
    _, cert_pem = key_pair()
    sso = request.build_absolute_uri(reverse("testidp:sso"))
    slo = request.build_absolute_uri(reverse("testidp:slo"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(ENTITY_ID)}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_body(cert_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="{C.BINDING_HTTP_REDIRECT}" Location={quoteattr(slo)}/>
    <md:NameIDFormat>{C.NAMEID_TRANSIENT}</md:NameIDFormat>
    <md:SingleSignOnService Binding="{C.BINDING_HTTP_REDIRECT}" Location={quoteattr(sso)}/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def _instant(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attribute(name: str, value: str) -> str:
    return (
        f'<saml:Attribute Name={quoteattr(name)} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">'
        f'<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{escape(value)}'
        "</saml:AttributeValue></saml:Attribute>"
    )


def build_response(
    *,
    acs_url: str,
    audience: str,
    in_response_to: str | None,
    national_id: str,
    authn_context: str,
    given_name: str = "",
    family_name: str = "",
    key_pem: str | None = None,
    cert_pem: str | None = None,
    issuer: str = ENTITY_ID,
    now: datetime.datetime | None = None,
    validity_seconds: int = 300,
    sign_assertion: bool = True,
    sign_response: bool = True,
    assertion_id: str | None = None,
    uid_attribute: str = "uid",
    extra_attributes: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    session_index: str | None = None,
    name_id: str | None = None,
) -> str:
    """A SAML 2.0 Response with one assertion, signed with RSA-SHA256/SHA-256."""
    if key_pem is None or cert_pem is None:
        key_pem, cert_pem = key_pair()
    now = now or datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(seconds=validity_seconds)
    assertion_id = assertion_id or f"_a{uuid.uuid4().hex}"
    in_response = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
    attributes = [_attribute(uid_attribute, national_id)]
    if given_name:
        attributes.append(_attribute("urn:oid:2.5.4.42", given_name))
    if family_name:
        attributes.append(_attribute("urn:oid:2.5.4.4", family_name))
    attributes.extend(_attribute(name, value) for name, value in extra_attributes)
    name_id = name_id or f"_n{uuid.uuid4().hex}"
    session_index = session_index or f"_s{uuid.uuid4().hex}"
    assertion = (
        f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" '
        f'Version="2.0" IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        f"<saml:Subject><saml:NameID Format=\"{C.NAMEID_TRANSIENT}\">{escape(name_id)}</saml:NameID>"
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{_instant(until)}" Recipient={quoteattr(acs_url)}{in_response}/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(now - datetime.timedelta(seconds=30))}" NotOnOrAfter="{_instant(until)}">'
        f"<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex={quoteattr(session_index)}>'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>{escape(authn_context)}</saml:AuthnContextClassRef>"
        "</saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{''.join(attributes)}</saml:AttributeStatement>"
        "</saml:Assertion>"
    )
    if sign_assertion:
        assertion = _sign(assertion, key_pem, cert_pem)
    response = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" '
        f"Destination={quoteattr(acs_url)}{in_response}>"
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{assertion}</samlp:Response>"
    )
    if sign_response:
        response = _sign(response, key_pem, cert_pem)
    return response


def _sign(xml: str, key_pem: str, cert_pem: str) -> str:
    signed = OneLogin_Saml2_Utils.add_sign(
        xml, key_pem, cert_pem, sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256
    )
    text = signed.decode() if isinstance(signed, bytes) else signed
    # add_sign serialises a whole document; the assertion is embedded, so drop the declaration.
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1].lstrip()
    return text


def encode(xml: str) -> str:
    return OneLogin_Saml2_Utils.b64encode(xml)


def sign_redirect(destination: str, saml_type: str, xml: str, relay_state: str = "", *, key_pem: str | None = None) -> str:
    """The HTTP-Redirect binding URL for a logout message, signed with RSA-SHA256 over
    SAMLRequest|SAMLResponse, RelayState and SigAlg, as the binding specifies."""
    import xmlsec

    if key_pem is None:
        key_pem, _ = key_pair()
    message = OneLogin_Saml2_Utils.deflate_and_base64_encode(xml)
    parts = [f"{saml_type}={OneLogin_Saml2_Utils.escape_url(message)}"]
    if relay_state:
        parts.append(f"RelayState={OneLogin_Saml2_Utils.escape_url(relay_state)}")
    parts.append(f"SigAlg={OneLogin_Saml2_Utils.escape_url(C.RSA_SHA256)}")
    signed_query = "&".join(parts)
    signature = OneLogin_Saml2_Utils.sign_binary(signed_query, key_pem, xmlsec.Transform.RSA_SHA256)
    return f"{destination}?{signed_query}&Signature={OneLogin_Saml2_Utils.escape_url(OneLogin_Saml2_Utils.b64encode(signature))}"


def logout_request_xml(*, destination: str, name_id: str, session_index: str, request_id: str | None = None) -> str:
    """An IdP-initiated LogoutRequest for one session."""
    now = datetime.datetime.now(datetime.UTC)
    request_id = request_id or f"_lr{uuid.uuid4().hex}"
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{request_id}" Version="2.0" IssueInstant="{_instant(now)}" '
        f'NotOnOrAfter="{_instant(now + datetime.timedelta(minutes=5))}" Destination={quoteattr(destination)}>'
        f"<saml:Issuer>{escape(ENTITY_ID)}</saml:Issuer>"
        f'<saml:NameID Format="{C.NAMEID_TRANSIENT}">{escape(name_id)}</saml:NameID>'
        f"<samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


def logout_response_xml(*, destination: str, in_response_to: str) -> str:
    now = datetime.datetime.now(datetime.UTC)
    return (
        '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_l{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" '
        f"Destination={quoteattr(destination)} InResponseTo={quoteattr(in_response_to)}>"
        f"<saml:Issuer>{escape(ENTITY_ID)}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        "</samlp:LogoutResponse>"
    )
