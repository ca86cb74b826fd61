"""Checks on the raw SAMLResponse before the XML stack reads it.

python3-saml already refuses DTDs and entities and ignores comments when it reads values. These
checks refuse such documents outright, with a clear page: no IdP we talk to sends them, and a
comment inside a signed value is the classic way to change what a parser reads without breaking
the signature (exclusive canonicalization leaves comments out of the digest).
"""

import base64
import binascii
import re

from myprescriptions.saml.assurance import LoginRefused

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_FORBIDDEN = ("<!--", "<!DOCTYPE", "<!ENTITY", "<?xml-stylesheet")


def decode(encoded: str | None) -> str:
    """The response as text, or LoginRefused for anything that is not plain UTF-8 XML without
    comments, DTDs or entities."""
    if not encoded:
        raise LoginRefused("invalid", 400)
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", encoded), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise LoginRefused("invalid", 400) from None
    # UTF-16 without a byte order mark is valid UTF-8 full of NULs; other encodings could hide "<!--".
    if "\x00" in text:
        raise LoginRefused("invalid", 400)
    declared = _XML_DECLARATION.match(text)
    if declared and declared.group(1).lower() not in ("utf-8", "utf8"):
        raise LoginRefused("invalid", 400)
    upper = text.upper()
    if any(marker.upper() in upper for marker in _FORBIDDEN):
        raise LoginRefused("invalid", 400)
    return text
