"""Bokmål, Nynorsk and English on every page.

- Every message in locale/{nb,nn,en}/LC_MESSAGES/django.po is translated, not fuzzy, and keeps
  its placeholders.
- No translatable string in the code or the templates is missing from the catalogues: Django's
  makemessages is run on a copy of the sources when GNU gettext is installed (CI installs it);
  a pure-Python extraction does the same everywhere, and is checked against makemessages here.
- Every page says its language in <html lang>, has the language switch, and formats dates the
  way the language does.
"""

import ast
import io
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import lxml.html
import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

from myprescriptions.site.management.commands.compilemessages_py import catalogue_dirs
from tests.conftest import login
from tests.test_cookies import page_urls
from prescriptions import access_rules
from prescriptions.models import Prescription

BASE_DIR = Path(__file__).resolve().parent.parent
LANGUAGES = ("nb", "nn", "en")
# The same as `make messages-extract` (see the Makefile): these are not the product's sources.
IGNORED_DIRS = {"tests", "staticfiles", "var", "bench", "bench-results", "node_modules", "locale"}
MAKEMESSAGES_ARGS = [
    "makemessages", "--no-obsolete", "--add-location=file",
    *(f"--ignore={name}" for name in sorted(IGNORED_DIRS - {"locale"})),
    *(f"-l{code}" for code in LANGUAGES),
]


def locale_dirs() -> list[Path]:
    """The project's catalogue (LOCALE_PATHS) and any app of ours that keeps its own."""
    return [Path(p).relative_to(BASE_DIR) for p in catalogue_dirs()]


def catalogue(code, locale_dir=Path("locale")) -> polib.POFile:
    return polib.pofile(str(BASE_DIR / locale_dir / code / "LC_MESSAGES" / "django.po"))


def locale_dir_for(relative: Path) -> Path:
    """Where makemessages puts a file's strings: the nearest enclosing folder with a locale
    folder of its own, else the project's."""
    for parent in relative.parents:
        if parent != Path(".") and (BASE_DIR / parent / "locale").is_dir():
            return parent / "locale"
    return Path("locale")


def key(entry) -> tuple:
    return (entry.msgctxt or "", entry.msgid)


def placeholders(text: str) -> list[str]:
    import re

    return sorted(re.findall(r"%\(\w+\)[sdi]|%[sdi]", text))


# --- the catalogues ---


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_is_translated(code):
    assert Path("locale") in locale_dirs()
    assert len(catalogue(code)) > 100
    problems = []
    for entry in (e for d in locale_dirs() for e in catalogue(code, d)):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(2)]
            if not all(forms) and (code != "en" or any(forms)):
                problems.append(f"untranslated plural: {entry.msgid!r}")
            elif "python-format" in entry.flags and placeholders(forms[1]) != placeholders(entry.msgid_plural):
                problems.append(f"placeholders differ: {entry.msgid!r}")
        elif not entry.msgstr:
            # English is the source language: an empty English msgstr shows the (English) msgid.
            if code != "en":
                problems.append(f"untranslated: {entry.msgid!r}")
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("locale_dir", locale_dirs(), ids=str)
def test_the_three_catalogues_hold_the_same_messages(locale_dir):
    nb, nn, en = ({key(e) for e in catalogue(code, locale_dir) if not e.obsolete} for code in LANGUAGES)
    assert nb == nn == en


def test_nynorsk_is_not_a_copy_of_bokmal():
    nb = {key(e): e.msgstr for e in catalogue("nb")}
    differing = [k for k, msgstr in ((key(e), e.msgstr) for e in catalogue("nn")) if msgstr and msgstr != nb.get(k)]
    assert len(differing) > len(nb) / 2


# --- nothing translatable is missing from them ---

GETTEXT_NAMES = {
    # name: (index of the context argument or None, number of message arguments)
    "gettext": (None, 1), "gettext_lazy": (None, 1), "gettext_noop": (None, 1), "_": (None, 1),
    "ngettext": (None, 2), "ngettext_lazy": (None, 2),
    "pgettext": (0, 1), "pgettext_lazy": (0, 1), "npgettext": (0, 2), "npgettext_lazy": (0, 2),
}


def _plain_literal(token) -> bool:
    prefix = token.string[: len(token.string) - len(token.string.lstrip("uUrRbB"))]
    return token.type == tokenize.STRING and "b" not in prefix.lower()


def _literal_args(tokens, j, needed) -> list[str]:
    """The first `needed` arguments from tokens[j:], while they are string literals (adjacent
    literals joined, as Python joins them)."""
    args, current = [], []
    while j < len(tokens) and len(args) < needed:
        token = tokens[j]
        if _plain_literal(token):
            current.append(ast.literal_eval(token.string))
        elif token.string in (",", ")") and current:
            args.append("".join(current))
            current = []
            if token.string == ")":
                break
        else:
            break
        j += 1
    return args


def _calls(source: str) -> list[tuple]:
    """(context, msgid) of every gettext-style call with literal strings, in Python source or in
    templatize()'s rendering of a template."""
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]
    found, in_fstring = [], 0
    for i, token in enumerate(tokens[:-1]):
        # xgettext does not look inside f-strings, so neither does this.
        in_fstring += {tokenize.FSTRING_START: 1, tokenize.FSTRING_END: -1}.get(token.type, 0)
        if in_fstring or token.type != tokenize.NAME or token.string not in GETTEXT_NAMES:
            continue
        if tokens[i + 1].string != "(":
            continue
        if i > 0 and tokens[i - 1].string == "def":
            continue
        context_at, count = GETTEXT_NAMES[token.string]
        has_context = context_at is not None
        args = _literal_args(tokens, i + 2, 1 + has_context)
        if len(args) == 1 + has_context:
            found.append((args[0], args[1]) if has_context else ("", args[0]))
    return found


def python_extract() -> dict[Path, set[tuple]]:
    """What makemessages would find, per catalogue, without GNU gettext."""
    found = {}
    for path in BASE_DIR.rglob("*"):
        relative = path.relative_to(BASE_DIR)
        hidden_or_ignored = any(part in IGNORED_DIRS or part.startswith(".") for part in relative.parts[:-1])
        if hidden_or_ignored or not path.is_file() or path.suffix not in (".py", ".html", ".txt"):
            continue
        source = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            source = templatize(source, origin=str(relative))
        found.setdefault(locale_dir_for(relative), set()).update(_calls(source))
    return found


def committed() -> dict[Path, set[tuple]]:
    return {d: {key(e) for e in catalogue("nb", d) if not e.obsolete} for d in locale_dirs()}


def missing_from(found: dict, have: dict) -> list[str]:
    return sorted(f"{d}: {msg!r}" for d, keys in found.items() for msg in keys - have.get(d, set()))


def makemessages_extract(tmp_path) -> dict[Path, set[tuple]]:
    """Runs Django's makemessages on a copy of the sources and returns what it found."""
    copy = tmp_path / "src"
    shutil.copytree(BASE_DIR, copy, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.mo", *IGNORED_DIRS))
    dirs = locale_dirs()
    for locale_dir in dirs:
        for code in LANGUAGES:
            (copy / locale_dir / code / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES_ARGS],
        cwd=copy, check=True, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "DEBUG": "1", "TEST_IDP": "1", "VAR_DIR": str(tmp_path / "var")},
    )
    found = {}
    for locale_dir in dirs:
        po_path = copy / locale_dir / "nb" / "LC_MESSAGES" / "django.po"
        if po_path.exists():
            found[locale_dir] = {key(e) for e in polib.pofile(str(po_path))}
    return found


def test_every_translatable_string_is_in_the_catalogues():
    missing = missing_from(python_extract(), committed())
    assert missing == [], "Run `make messages-extract` and translate:\n" + "\n".join(missing)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed (CI installs it)")
def test_makemessages_finds_nothing_new_and_agrees_with_the_python_extraction(tmp_path):
    found = makemessages_extract(tmp_path)
    missing = missing_from(found, committed())
    assert missing == [], "Run `make messages-extract` and translate:\n" + "\n".join(missing)
    # The pure-Python extraction, used where gettext is missing, sees exactly what makemessages sees.
    assert python_extract() == found


# --- pages ---


def choose_language(client, code):
    response = client.post(reverse("set_language"), {"language": code, "next": "/"})
    assert response.status_code == 302


def assert_page_in(response, code, url):
    assert response.status_code == 200, (url, response.status_code)
    doc = lxml.html.fromstring(response.content.decode())
    assert doc.get("lang") == code, url
    (form,) = doc.xpath(f"//form[@action='{reverse('set_language')}']")
    assert form.get("method") == "post"
    assert form.xpath(".//select[@name='language']/option/@value") == list(LANGUAGES)
    assert form.xpath(f".//option[@value='{code}']/@selected"), url
    return doc


PUBLIC_PAGES = ["site:landing", "site:cookies", "site:accessibility", "site:logged_out"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_public_page_in_every_language(client, db, code):
    choose_language(client, code)
    for name in PUBLIC_PAGES:
        assert_page_in(client.get(reverse(name)), code, name)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_logged_in_page_in_every_language(client, people, code):
    choose_language(client, code)
    login(client, people["kari"].national_id)
    prescription = Prescription.objects.filter(patient=people["kari"]).first()
    urls = page_urls({access_rules.LOGGED_IN, access_rules.SUBJECT}, {"public_id": prescription.public_id})
    visited = 0
    for url in urls:
        response = client.get(url)
        if response.status_code in (302, 405) or response.get("Content-Type", "").split(";")[0] != "text/html":
            continue  # actions (POST only), redirects and downloads are not pages
        assert_page_in(response, code, url)
        visited += 1
    assert visited >= 6


@pytest.mark.parametrize(
    "code, shown, heading",
    [
        ("nb", "30. juni 2027", "Viktig informasjon om tjenesten"),
        ("nn", "30. juni 2027", "Viktig informasjon om tenesta"),
        ("en", "June 30, 2027", "Important information about the service"),
    ],
)
def test_dates_and_the_notice_follow_the_language(client, db, settings, code, shown, heading):
    import datetime

    settings.SERVICE_CLOSES_ON = datetime.date(2027, 6, 30)
    choose_language(client, code)
    doc = lxml.html.fromstring(client.get("/").content.decode())
    (notice,) = doc.xpath("//section[@class='closing-notice']")
    assert notice.xpath("string(.//h2)") == heading
    assert shown in notice.text_content()


def test_the_default_language_is_bokmal_whatever_the_browser_says(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert 'lang="nb"' in response.content.decode()
    assert response["Content-Language"] == "nb"


def test_settings_offer_exactly_the_three_languages():
    assert settings.LANGUAGE_CODE == "nb"
    assert [code for code, _name in settings.LANGUAGES] == list(LANGUAGES)


def test_the_allauth_pages_a_citizen_can_reach_speak_nynorsk_too(client, people):
    choose_language(client, "nn")
    # The "Continue" page at a GET of the login address, and the message after a login.
    doc = assert_page_in(client.get(reverse("saml_login", args=["eid"])), "nn", "login")
    assert doc.xpath("string(//h1)") == "Logg inn på Mine resepter"
    response = login(client, people["kari"].national_id)
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Du er logga inn." in page
    assert people["kari"].user.username not in page  # not the opaque account name allauth would show
