"""Error pages: translated, accessible, no traceback, rendered without the database."""

import lxml.html
import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.utils import translation
from django.urls import include, path

from myprescriptions import urls as project_urls
from prescriptions.access_rules import public
from tests.conftest import HOST


@public
def _denied(request):
    raise PermissionDenied


@public
def _broken(request):
    raise RuntimeError("a bug with a secret 31129956715 in it")


@public
def _suspicious(request):
    raise SuspiciousOperation("tampered")


# The project's URLs and error handlers, plus views that fail in each way.
urlpatterns = [
    path("fail/denied/", _denied),
    path("fail/broken/", _broken),
    path("fail/suspicious/", _suspicious),
    path("", include(project_urls.urlpatterns)),
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def visitor(db):
    # A real browser gets the error page, not the exception the test client would re-raise.
    return Client(HTTP_HOST=HOST, raise_request_exception=False)


def in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def check_accessible(response, language):
    doc = lxml.html.fromstring(response.content)
    assert doc.get("lang") == language
    assert doc.xpath("//title/text()")[0].strip()
    assert len(doc.xpath("//h1")) == 1
    assert len(doc.xpath("//main[@id='main']")) == 1
    assert doc.xpath("//a[@href='#main']")  # skip link
    assert doc.xpath("//header") and doc.xpath("//footer")
    assert not doc.xpath("//script")
    return doc.xpath("//h1")[0].text_content().strip()


def translated(language, english):
    """The catalogue's wording, which must exist: the test does not pin the exact words."""
    with translation.override(language):
        words = translation.gettext(english)
    assert words != english, f"no {language} translation of {english!r}"
    return words


CASES = [
    # (path, status, English heading)
    ("/no-such-page/", 404, "We could not find that page"),
    ("/fail/denied/", 403, "You do not have access to this page"),
    ("/fail/suspicious/", 400, "We could not understand the request"),
    ("/fail/broken/", 500, "Something went wrong on our side"),
]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url,status,english", CASES)
def test_error_pages_in_bokmal_and_english(visitor, url, status, english):
    response = visitor.get(url)
    assert response.status_code == status
    assert check_accessible(response, "nb") == translated("nb", english)
    body = response.content.decode()
    assert "Traceback" not in body and "RuntimeError" not in body and "31129956715" not in body
    assert response.headers["X-Request-ID"] in body  # the reference to quote to support
    response = in_english(visitor).get(url)
    assert response.status_code == status
    assert check_accessible(response, "en") == english


@override_settings(ROOT_URLCONF=__name__)
def test_nynorsk(visitor):
    visitor.post("/i18n/setlang/", {"language": "nn", "next": "/"})
    response = visitor.get("/no-such-page/")
    assert check_accessible(response, "nn") == translated("nn", "We could not find that page")


def test_the_project_wires_the_handlers():
    assert project_urls.handler500 == "myprescriptions.hardening.views.server_error"
    assert project_urls.handler404 == "myprescriptions.hardening.views.page_not_found"
    assert project_urls.handler403 == "myprescriptions.hardening.views.permission_denied"
    assert project_urls.handler400 == "myprescriptions.hardening.views.bad_request"


def test_a_foreign_host_gets_the_400_page(visitor):
    response = Client(HTTP_HOST="evil.example", raise_request_exception=False).get("/")
    assert response.status_code == 400
    assert check_accessible(response, "nb") == translated("nb", "We could not understand the request")


def test_an_expired_form_gets_a_page_that_says_so(db):
    browser = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    response = browser.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert check_accessible(response, "nb") == translated("nb", "The form has expired")
