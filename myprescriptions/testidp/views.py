"""The test IdP's pages: choose a demo person or type a synthetic number, choose a level, and
the IdP posts a signed SAML Response to the site's ACS."""

import uuid
from urllib.parse import urlparse

from django import forms
from django.conf import settings
from django.urls import reverse
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from myprescriptions.testidp import idp
from prescriptions import identity
from prescriptions.access_rules import public
from prescriptions.models import Person

SESSION_KEY = "testidp_session"
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


class BadRequest(Exception):
    pass


def parse_authn_request(request, encoded: str) -> dict:
    try:
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(encoded)
        root = OneLogin_Saml2_XML.to_etree(xml)
    except Exception:
        raise BadRequest from None
    if root.tag != "{%s}AuthnRequest" % NS["samlp"]:
        raise BadRequest
    acs_url = root.get("AssertionConsumerServiceURL", "")
    # The test IdP only ever signs for the site that serves it.
    if urlparse(acs_url).netloc != request.get_host():
        raise BadRequest
    issuer = root.find("saml:Issuer", NS)
    contexts = [el.text for el in root.findall(".//saml:AuthnContextClassRef", NS)]
    return {"id": root.get("ID"), "acs_url": acs_url, "audience": issuer.text if issuer is not None else "", "contexts": contexts}


class LoginForm(forms.Form):
    person = forms.ChoiceField(label=_("Test person"), required=False, widget=forms.RadioSelect)
    typed_number = forms.CharField(
        label=_("Or type a synthetic national identity number"), required=False, max_length=20
    )
    level = forms.ChoiceField(
        label=_("Level of assurance"),
        choices=[("high", _("High (BankID, Buypass)")), ("substantial", _("Substantial (MinID)"))],
        initial="high",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            (p.national_id, f"{p.full_name} ({p.national_id})") for p in people
        ]

    def clean(self):
        cleaned = super().clean()
        typed = (cleaned.get("typed_number") or "").strip()
        chosen = cleaned.get("person") or ""
        if typed:
            try:
                number = identity.parse(typed)
            except identity.InvalidIdentityNumber:
                self.add_error("typed_number", _("This is not a valid national identity number."))
                return cleaned
            if not number.is_synthetic():
                self.add_error("typed_number", _("The test IdP only accepts synthetic (test) numbers."))
                return cleaned
            cleaned["national_id"] = number.value
        elif chosen:
            cleaned["national_id"] = chosen
        else:
            raise forms.ValidationError(_("Choose a test person or type a synthetic number."))
        return cleaned


@public
@csrf_exempt  # the SAML request itself is the cross-site payload; nothing here changes state
def sso(request):
    params = request.POST if request.method == "POST" else request.GET
    encoded, relay_state = params.get("SAMLRequest", ""), params.get("RelayState", "")
    try:
        authn = parse_authn_request(request, encoded)
    except BadRequest:
        return render(request, "testidp/error.html", status=400)
    people = Person.objects.filter(date_of_death__isnull=True).order_by("family_name", "given_name")
    form = LoginForm(request.POST if "level" in request.POST else None, people=people)
    if form.is_bound and form.is_valid():
        national_id = form.cleaned_data["national_id"]
        person = Person.objects.filter(national_id=national_id).first()
        name_id, session_index = f"_n{uuid.uuid4().hex}", f"_s{uuid.uuid4().hex}"
        xml = idp.build_response(
            acs_url=authn["acs_url"],
            audience=authn["audience"],
            in_response_to=authn["id"],
            national_id=national_id,
            authn_context=idp.LEVELS[form.cleaned_data["level"]],
            given_name=person.given_name if person else "",
            family_name=person.family_name if person else "",
            name_id=name_id,
            session_index=session_index,
        )
        # The IdP's own record of the session, for IdP-initiated logout (no identity number in it).
        request.session[SESSION_KEY] = {"name_id": name_id, "session_index": session_index}
        return render(
            request,
            "testidp/post.html",
            {"acs_url": authn["acs_url"], "saml_response": idp.encode(xml), "relay_state": relay_state},
        )
    return render(
        request,
        "testidp/login.html",
        {"form": form, "saml_request": encoded, "relay_state": relay_state, "requested": authn["contexts"]},
    )


def _sp_sls_url(request) -> str:
    return request.build_absolute_uri(reverse("saml_sls", args=[settings.SAML_ORG]))


@public
def slo(request):
    """Single logout, HTTP-Redirect binding: a LogoutRequest from the site (answered with a signed
    LogoutResponse) or the site's LogoutResponse to a logout this IdP started."""
    if "SAMLResponse" in request.GET:
        try:
            xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(request.GET["SAMLResponse"])
            root = OneLogin_Saml2_XML.to_etree(xml)
            status = root.find("samlp:Status/samlp:StatusCode", NS)
        except Exception:
            return render(request, "testidp/error.html", status=400)
        success = status is not None and status.get("Value") == "urn:oasis:names:tc:SAML:2.0:status:Success"
        return render(request, "testidp/logged_out.html", {"success": success})
    try:
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(request.GET.get("SAMLRequest", ""))
        root = OneLogin_Saml2_XML.to_etree(xml)
    except Exception:
        return render(request, "testidp/error.html", status=400)
    if root.tag != "{%s}LogoutRequest" % NS["samlp"]:
        return render(request, "testidp/error.html", status=400)
    request.session.pop(SESSION_KEY, None)
    destination = _sp_sls_url(request)
    response_xml = idp.logout_response_xml(destination=destination, in_response_to=root.get("ID", ""))
    return redirect(idp.sign_redirect(destination, "SAMLResponse", response_xml, request.GET.get("RelayState", "")))


@public
def index(request):
    """The test IdP's own page: its session, and a button to end it from the IdP's side."""
    return render(request, "testidp/index.html", {"idp_session": request.session.get(SESSION_KEY)})


@public
@require_POST
def idp_logout(request):
    """IdP-initiated single logout: a signed LogoutRequest for the recorded session, sent
    through the browser to the site's single logout endpoint."""
    record = request.session.pop(SESSION_KEY, None)
    if not record:
        return redirect("testidp:index")
    destination = _sp_sls_url(request)
    xml = idp.logout_request_xml(
        destination=destination, name_id=record["name_id"], session_index=record["session_index"]
    )
    return redirect(idp.sign_redirect(destination, "SAMLRequest", xml))


@public
def metadata(request):
    return HttpResponse(idp.metadata_xml(request), content_type="application/samlmetadata+xml")


