"""The SAML endpoints. Login and ACS reuse allauth's views; finishing the ACS is ours, because
allauth neither checks the level of assurance nor refuses a response that is not ours."""

import logging
import re

from allauth.core.internal import httpkit
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.providers.saml import views as allauth_saml
from allauth.socialaccount.sessions import LoginSession
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends import db as db_sessions
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from myprescriptions.saml import assurance, inbound
from myprescriptions.saml.assurance import LoginRefused
from myprescriptions.saml.config import build_auth, build_settings
from myprescriptions.site import closing, language
from prescriptions.access_rules import public

logger = logging.getLogger(__name__)

ACS_COOKIE = "saml-acs-session"  # allauth's LoginSession cookie carrying the parked POST


def refuse(request, reason: str, status: int = 403) -> HttpResponse:
    logger.warning("saml login refused", extra={"reason": reason})
    return render(request, "saml/login_refused.html", {"reason": reason}, status=status)


def loggable(reason: str | None) -> str:
    """python3-saml's error text, shortened and without long digit runs: parts of it come from the
    sender and must not carry an identity number into the logs."""
    return re.sub(r"\d{6,}", "#", reason or "")[:200]


def end_session(request) -> None:
    # The visitor's language choice survives the logout, as with the Log out button.
    language.keep_across(request, lambda: logout(request))


def shibboleth_mode() -> bool:
    return settings.AUTH_MODE == "shibboleth"


@method_decorator(csrf_exempt, name="dispatch")
class LoginView(allauth_saml.LoginView):
    """Starting a login needs no CSRF token: a forged start only sends the visitor to the IdP,
    where they must authenticate as themselves; the response is bound to their own session."""

    def dispatch(self, request, *args, **kwargs):
        if closing.is_closed():
            return refuse(request, "closed")
        if shibboleth_mode():
            # The Shibboleth SP in front of us runs the SAML exchange and protects this path.
            return redirect("shibboleth_login")
        try:
            return super().dispatch(request, *args, **kwargs)
        except ImproperlyConfigured as exc:
            # No usable IdP metadata yet (refresh_idp_metadata has not succeeded): say so, no 500.
            logger.error("saml login unavailable", extra={"error": str(exc)[:300]})
            return refuse(request, "unavailable", 503)


@method_decorator(csrf_exempt, name="dispatch")
class ACSView(allauth_saml.ACSView):
    """allauth's ACS (it parks the POST and redirects, so the session cookie comes back under
    SameSite=Lax), refusing an oversize body with our page instead of a bare 400."""

    def dispatch(self, request, organization_slug):
        if shibboleth_mode():
            return refuse(request, "invalid", 400)
        try:
            _ = request.POST  # reading the body enforces DATA_UPLOAD_MAX_MEMORY_SIZE
        except RequestDataTooBig:
            return refuse(request, "invalid", 413)
        response = super().dispatch(request, organization_slug)
        # allauth leaves this short-lived cookie readable by scripts; nothing on the page needs it.
        if ACS_COOKIE in response.cookies:
            response.cookies[ACS_COOKIE]["httponly"] = True
        return response


def take_parked_request(request) -> str | None:
    """The response ACSView parked in its own short-lived session, which is deleted as it is read.
    With the database session store that is one DELETE ... RETURNING instead of Django's three
    queries (load; read the row again; delete it), and two finishes racing with the same cookie
    cannot both get the response."""
    acs_session = LoginSession(request, "saml_acs_session", ACS_COOKIE)
    store = acs_session.store
    if type(store) is not db_sessions.SessionStore:  # cached_db and others: their own API
        data = store.get("request")
        acs_session.delete()
        return data
    if store.session_key is None:
        return None
    model = store.model
    connection = connections[router.db_for_write(model)]
    # Compared as the ORM's expire_date__gt=now() would (Django's store ignores an expired row);
    # an expired row is deleted all the same.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE session_key = %s "
            "RETURNING session_data, expire_date > %s",
            [store.session_key, now],
        )
        row = cursor.fetchone()
    if row is None or not row[1]:
        return None
    session_data = row[0]
    return store.decode(session_data).get("request")


class FinishACSView(allauth_saml.SAMLViewMixin, View):
    def dispatch(self, request: HttpRequest, organization_slug) -> HttpResponse:
        provider = self.get_provider(organization_slug)
        data = take_parked_request(request)
        if not data:
            return refuse(request, "invalid", 400)
        if closing.is_closed():
            return refuse(request, "closed")
        acs_request = httpkit.deserialize_request(data, HttpRequest())
        try:
            auth, state = self.verified(request, acs_request, provider)
        except LoginRefused as refusal:
            return refuse(request, refusal.reason, refusal.status)
        login = provider.sociallogin_from_response(request, auth)
        login.state.update(state)
        response = complete_social_login(request, login)
        if request.user.is_authenticated:
            # Kept for single logout at the IdP.
            request.session["saml_logout"] = {
                "name_id": auth.get_nameid(),
                "name_id_format": auth.get_nameid_format(),
                "session_index": auth.get_session_index(),
            }
        return response

    def verified(self, request, acs_request, provider):
        """The processed response and the login state stashed when we sent the request, or
        LoginRefused. Nothing is stored before every check has passed, except the assertion ID."""
        inbound.decode(acs_request.POST.get("SAMLResponse"))
        try:
            auth = build_auth(acs_request, provider)
            # InResponseTo is checked below against the state stashed when we sent the request.
            auth.process_response(request_id=None)
        except ImproperlyConfigured as exc:
            logger.error("saml login unavailable", extra={"error": str(exc)[:300]})
            raise LoginRefused("unavailable", 503) from None
        except Exception as exc:  # hostile input may fail anywhere inside the XML stack
            logger.warning("saml response unreadable", extra={"error": type(exc).__name__})
            raise LoginRefused("invalid", 400) from None
        if auth.get_errors() or not auth.is_authenticated():
            logger.warning("saml response invalid", extra={"error": loggable(auth.get_last_error_reason())})
            raise LoginRefused("invalid", 400)
        assurance.check_assurance(auth.get_last_authn_contexts())
        issued = OneLogin_Saml2_XML.to_etree(auth.get_last_response_xml()).get("IssueInstant")
        assurance.check_issue_instants(
            [OneLogin_Saml2_Utils.parse_SAML_to_time(issued) if issued else None, auth.get_last_assertion_issue_instant()]
        )
        in_response_to = auth.get_last_response_in_response_to()
        if not in_response_to:
            raise LoginRefused("unsolicited")
        try:
            state = provider.unstash_redirect_state(request, in_response_to)
        except Exception:
            raise LoginRefused("replay") from None
        try:
            assurance.consume_assertion(auth.get_last_assertion_id(), auth.get_last_assertion_not_on_or_after())
            assurance.check_identity_number(provider.extract_uid(auth))
        except LoginRefused:
            # The request ID is spent even when the login is refused. SessionMiddleware would save
            # the session on the way out, but not after a 5xx (replay cache unavailable).
            try:
                request.session.save()
            except Exception as exc:  # the database is away as well: the refusal still gets its page
                logger.error("saml login state not saved", extra={"error": type(exc).__name__})
            raise
        return auth, state


class MetadataView(allauth_saml.SAMLViewMixin, View):
    def get(self, request, organization_slug):
        provider = self.get_provider(organization_slug)
        saml_settings = OneLogin_Saml2_Settings(build_settings(request, provider), sp_validation_only=True)
        metadata = saml_settings.get_sp_metadata()
        return HttpResponse(metadata, content_type="application/samlmetadata+xml")


@method_decorator(csrf_exempt, name="dispatch")
class SLSView(allauth_saml.SAMLViewMixin, View):
    """Single logout: the IdP's LogoutResponse to our request, or its own LogoutRequest."""

    def dispatch(self, request, organization_slug):
        provider = self.get_provider(organization_slug)
        if "SAMLRequest" in request.GET:
            return self.idp_logout_request(request, provider)
        if "SAMLResponse" in request.GET:
            return self.idp_logout_response(request, provider)
        return refuse(request, "invalid_logout", 400)

    def idp_logout_request(self, request, provider):
        # Anyone can send a browser here; only a request signed by the IdP ends a session.
        if "Signature" not in request.GET:
            logger.warning("saml logout request unsigned")
            return refuse(request, "invalid_logout", 400)
        try:
            auth = build_auth(request, provider)
            url = auth.process_slo(keep_local_session=False, delete_session_cb=lambda: end_session(request))
        except Exception as exc:
            logger.warning("saml logout request unreadable", extra={"error": type(exc).__name__})
            return refuse(request, "invalid_logout", 400)
        if auth.get_errors():
            logger.warning("saml logout request invalid", extra={"error": loggable(auth.get_last_error_reason())})
            return refuse(request, "invalid_logout", 400)
        end_session(request)
        logger.info("saml logout requested by the idp")
        return redirect(url or "site:logged_out")

    def idp_logout_response(self, request, provider):
        # Our local session ended when the logout started; the IdP's answer only reports its side.
        # It ends nothing here, so a forged "response" cannot log anyone out.
        try:
            auth = build_auth(request, provider)
            auth.process_slo(keep_local_session=True)
            errors = auth.get_errors()
        except Exception as exc:
            errors = [type(exc).__name__]
        if errors:
            logger.warning("saml logout response invalid", extra={"error": loggable(", ".join(errors))})
        return redirect("site:logged_out")


login = public(LoginView.as_view())
acs = public(ACSView.as_view())
finish_acs = public(FinishACSView.as_view())
metadata = public(MetadataView.as_view())
sls = public(SLSView.as_view())
