"""Refreshing the IdP's metadata from its https URL (`manage.py refresh_idp_metadata`).

Logins never fetch: they read the cached copy at config.cached_metadata_path(). A refresh
replaces that copy only with metadata that parses and carries at least one currently valid
signing certificate, and replaces it atomically, so a login never reads half a file and an IdP
that is down or serves garbage leaves the last good copy in place.
"""

import base64
import datetime
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from myprescriptions.saml import config

TIMEOUT_SECONDS = 10
MAX_BYTES = 5 * 1024 * 1024  # federation metadata can be large; an IdP's own is a few kB
EXPIRY_WARNING = datetime.timedelta(days=30)


class MetadataError(Exception):
    pass


@dataclass
class Checked:
    entity_id: str
    signing_certs: int
    first_expiry: datetime.datetime

    def expires_soon(self) -> bool:
        return self.first_expiry - datetime.datetime.now(datetime.UTC) < EXPIRY_WARNING


def _allowed(url: str) -> bool:
    scheme = urlparse(url).scheme
    return scheme == "https" or (scheme == "http" and settings.SAML_IDP_METADATA_ALLOW_HTTP)


def fetch(url: str) -> str:
    if not _allowed(url):
        raise MetadataError("the metadata URL must use https")
    request = urllib.request.Request(url, headers={"Accept": "application/samlmetadata+xml, application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if not _allowed(response.geturl()):
                raise MetadataError("the metadata URL redirected away from https")
            body = response.read(MAX_BYTES + 1)
    except MetadataError:
        raise
    except Exception as exc:  # DNS, TLS, HTTP status, timeout: all mean "not this time"
        raise MetadataError(f"fetching failed ({type(exc).__name__}: {exc})") from None
    if len(body) > MAX_BYTES:
        raise MetadataError(f"the metadata is larger than {MAX_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise MetadataError("the metadata is not UTF-8") from None


def check(xml: str) -> Checked:
    """Parses like a login would and checks every signing certificate."""
    try:
        idp = config.parse_metadata(xml)
    except ImproperlyConfigured as exc:
        raise MetadataError(str(exc)) from None
    except Exception as exc:
        raise MetadataError(f"the metadata cannot be read ({type(exc).__name__})") from None
    bodies = idp.get("x509certMulti", {}).get("signing") or [idp.get("x509cert")]
    now = datetime.datetime.now(datetime.UTC)
    expiries = []
    for body in bodies:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode("".join(body.split()), validate=True))
        except Exception:
            raise MetadataError("a signing certificate in the metadata cannot be read") from None
        if cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
            expiries.append(cert.not_valid_after_utc)
    if not expiries:
        raise MetadataError("no signing certificate in the metadata is currently valid")
    return Checked(entity_id=idp["entityId"], signing_certs=len(bodies), first_expiry=min(expiries))


def write_atomically(path: Path, xml: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".idp-metadata-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(xml)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # atomic on the same file system
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def refresh() -> tuple[Checked, Path | None]:
    """Fetches, checks and caches remote metadata; for a local file, only checks it.
    Returns what was checked and the path written (None for a local file)."""
    source = config.metadata_source()
    if source == config.BUILTIN_TEST_IDP:
        raise MetadataError("the built-in test IdP needs no metadata refresh")
    if not source:
        raise MetadataError("SAML_IDP_METADATA is not set")
    if not source.startswith(("https://", "http://")):
        try:
            xml = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise MetadataError(f"cannot read {source} ({exc.strerror})") from None
        return check(xml), None
    xml = fetch(source)
    checked = check(xml)
    path = config.cached_metadata_path()
    write_atomically(path, xml)
    return checked, path
