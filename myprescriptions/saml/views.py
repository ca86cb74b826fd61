"""The SAML endpoints. Login and ACS reuse allauth's views; finishing the ACS is ours, because
allauth neither checks the level of assurance nor refuses a response that is not ours."""

import logging

from allauth.core.internal import httpkit
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.providers.saml import views as allauth_saml
from allauth.socialaccount.sessions import LoginSession
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from myprescriptions.saml import assurance
from myprescriptions.saml.config import build_auth, build_settings
from myprescriptions.site import closing
from prescriptions.access_rules import public

logger = logging.getLogger(__name__)


def refuse(request, reason: str, status: int = 403) -> HttpResponse:
    logger.warning("saml login refused", extra={"reason": reason})
    return render(request, "saml/login_refused.html", {"reason": reason}, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class LoginView(allauth_saml.LoginView):
    def dispatch(self, request, *args, **kwargs):
        if closing.is_closed():
            return refuse(request, "closed")
        return super().dispatch(request, *args, **kwargs)


class FinishACSView(allauth_saml.SAMLViewMixin, View):
    def dispatch(self, request: HttpRequest, organization_slug) -> HttpResponse:
        provider = self.get_provider(organization_slug)
        acs_session = LoginSession(request, "saml_acs_session", "saml-acs-session")
        data = acs_session.store.get("request")
        acs_session.delete()
        if not data:
            return refuse(request, "invalid", 400)
        if closing.is_closed():
            return refuse(request, "closed")
        acs_request = httpkit.deserialize_request(data, HttpRequest())
        try:
            auth = build_auth(acs_request, provider)
            # InResponseTo is checked below against the state stashed when we sent the request.
            auth.process_response(request_id=None)
        except Exception as exc:  # hostile input may fail anywhere inside the XML stack
            logger.warning("saml response unreadable", extra={"error": type(exc).__name__})
            return refuse(request, "invalid", 400)
        if auth.get_errors() or not auth.is_authenticated():
            logger.warning("saml response invalid", extra={"error": auth.get_last_error_reason() or ""})
            return refuse(request, "invalid", 400)
        try:
            assurance.check_assurance(auth.get_last_authn_contexts())
            in_response_to = auth.get_last_response_in_response_to()
            if not in_response_to:
                raise assurance.LoginRefused("unsolicited")
            try:
                state = provider.unstash_redirect_state(request, in_response_to)
            except Exception:
                raise assurance.LoginRefused("replay") from None
            assurance.consume_assertion(auth.get_last_assertion_id(), auth.get_last_assertion_not_on_or_after())
            assurance.check_identity_number(provider.extract_uid(auth))
        except assurance.LoginRefused as refusal:
            return refuse(request, refusal.reason)
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


class MetadataView(allauth_saml.SAMLViewMixin, View):
    def get(self, request, organization_slug):
        provider = self.get_provider(organization_slug)
        saml_settings = OneLogin_Saml2_Settings(build_settings(request, provider), sp_validation_only=True)
        metadata = saml_settings.get_sp_metadata()
        return HttpResponse(metadata, content_type="application/samlmetadata+xml")


login = public(LoginView.as_view())
acs = public(allauth_saml.acs)
finish_acs = public(FinishACSView.as_view())
metadata = public(MetadataView.as_view())


@method_decorator(csrf_exempt, name="dispatch")
class SLSView(allauth_saml.SAMLViewMixin, View):
    """Single logout: the IdP's LogoutResponse to our request, or its own LogoutRequest."""

    def dispatch(self, request, organization_slug):
        from django.contrib.auth import logout
        from django.shortcuts import redirect

        provider = self.get_provider(organization_slug)
        try:
            auth = build_auth(request, provider)
            url = auth.process_slo(keep_local_session=False, delete_session_cb=lambda: logout(request))
        except Exception as exc:
            logger.warning("saml logout message unreadable", extra={"error": type(exc).__name__})
            return refuse(request, "invalid_logout", 400)
        if auth.get_errors():
            logger.warning("saml logout message invalid", extra={"error": auth.get_last_error_reason() or ""})
            return refuse(request, "invalid_logout", 400)
        # An IdP-initiated logout always ends the local session, whatever the message said.
        logout(request)
        return redirect(url or "site:logged_out")


sls = public(SLSView.as_view())
