"""python3-saml's XML checks without compiling the same XSD schema and XPath expressions again for
every message.

OneLogin_Saml2_XML.validate_xml reads and compiles saml-schema-protocol-2.0.xsd (and the schemas
it imports) on each call, about 3 ms of CPU per SAML response: more than verifying both signatures.
OneLogin_Saml2_XML.query compiles its XPath expression on each call, some 70 times per response
(about 1 ms in all). Both are constants of the library, the same for every message and every user,
so keeping the compiled forms for the life of the process holds no one's data.

They are kept per thread, not shared by the process. libxml2 treats a compiled schema as read-only
and lxml gives each validation its own validation context, but lxml's XMLSchema object carries one
mutable error log that every validation clears, connects to libxml2's error reporting and
disconnects again; an lxml XPath object serialises its callers with a lock of its own. gunicorn's
gthread workers run requests on several threads at once: with one copy per thread nothing is
shared, for one compilation per thread and expression instead of one per use.

The replacements give the same results as python3-saml 1.16.0's own for the same input (same return
values, same debug output); with another version installed the library's own are left in place.
"""

import logging
import threading
from importlib.metadata import version
from os.path import dirname, join

from lxml import etree
from onelogin.saml2 import xml_utils
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

logger = logging.getLogger(__name__)

MIRRORED_VERSION = "1.16.0"
SCHEMA_DIR = join(dirname(xml_utils.__file__), "schemas")
# python3-saml's expressions are string constants (values travel as XPath variables); the bound
# only keeps memory fixed should a future caller build expressions from message content.
MAX_XPATHS = 256

_local = threading.local()


def _thread_cache(name: str) -> dict:
    cache = getattr(_local, name, None)
    if cache is None:
        cache = {}
        setattr(_local, name, cache)
    return cache


def schema(name: str):
    """The compiled schema `name` (a file in python3-saml's schemas folder), this thread's copy."""
    schemas = _thread_cache("schemas")
    compiled = schemas.get(name)
    if compiled is None:
        with open(join(SCHEMA_DIR, name)) as handle:
            compiled = OneLogin_Saml2_XML._schema_class(etree.parse(handle))
        schemas[name] = compiled
    return compiled


def validate_xml(xml, schema_name, debug=False):
    """OneLogin_Saml2_XML.validate_xml: the validated element, or 'unloaded_xml' / 'invalid_xml'."""
    assert isinstance(schema_name, str)
    try:
        xml = OneLogin_Saml2_XML.to_etree(xml)
    except Exception as e:
        if debug:
            print(e)
        return "unloaded_xml"
    xmlschema = schema(schema_name)
    if not xmlschema.validate(xml):
        if debug:
            print("Errors validating the metadata: ")
            for error in xmlschema.error_log:
                print(error.message)
        return "invalid_xml"
    return xml


def xpath(expression: str):
    """The compiled expression with python3-saml's namespace prefixes, this thread's copy (None
    once the bound is reached: the caller then evaluates it uncompiled)."""
    expressions = _thread_cache("xpaths")
    compiled = expressions.get(expression)
    if compiled is None:
        if len(expressions) >= MAX_XPATHS:
            return None
        compiled = expressions[expression] = etree.XPath(expression, namespaces=OneLogin_Saml2_Constants.NSMAP)
    return compiled


def query(dom, query, context=None, tagid=None):
    """OneLogin_Saml2_XML.query: the nodes matching `query` from `context`, else from `dom`."""
    source = dom if context is None else context
    # An element is the context node either way; a whole tree (python3-saml passes elements) would
    # be evaluated from its document node by .xpath(), so it keeps the library's path.
    compiled = xpath(query) if isinstance(source, etree._Element) else None
    if compiled is None:
        if tagid is None:
            return source.xpath(query, namespaces=OneLogin_Saml2_Constants.NSMAP)
        return source.xpath(query, tagid=tagid, namespaces=OneLogin_Saml2_Constants.NSMAP)
    if tagid is None:
        return compiled(source)
    return compiled(source, tagid=tagid)


# python3-saml's own functions, as they were before install(): the tests compare results with them.
LIBRARY = {"validate_xml": OneLogin_Saml2_XML.validate_xml, "query": OneLogin_Saml2_XML.query}


def install() -> bool:
    """Puts validate_xml and query in place of python3-saml's, if the installed version is the one
    they mirror."""
    installed = version("python3-saml")
    if installed != MIRRORED_VERSION:
        logger.warning("python3-saml %s is not %s: its own XML checks stay in place", installed, MIRRORED_VERSION)
        return False
    OneLogin_Saml2_XML.validate_xml = staticmethod(validate_xml)
    OneLogin_Saml2_XML.query = staticmethod(query)
    return True
