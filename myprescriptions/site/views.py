from django.conf import settings
from django.contrib.auth import logout as django_logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from prescriptions.access_rules import public


@public
def landing(request):
    if request.user.is_authenticated and request.subject is not None:
        return redirect("prescriptions:valid")
    return render(request, "site/landing.html", {"saml_org": settings.SAML_ORG})


@public
@require_POST
def logout(request):
    """Ends the local session, then single logout at the IdP when it offers one."""
    slo_url = None
    if request.user.is_authenticated:
        slo_url = _idp_logout_url(request)
    django_logout(request)
    return redirect(slo_url or "site:logged_out")


def _idp_logout_url(request):
    from allauth.socialaccount.adapter import get_adapter

    from myprescriptions.saml.config import build_auth

    details = request.session.get("saml_logout")
    if not details:
        return None
    try:
        provider = get_adapter().get_provider(request, "saml", client_id=settings.SAML_ORG)
        auth = build_auth(request, provider)
        if not auth.get_slo_url():
            return None
        return auth.logout(
            return_to=request.build_absolute_uri("/"),
            name_id=details.get("name_id"),
            session_index=details.get("session_index"),
            name_id_format=details.get("name_id_format"),
        )
    except Exception:
        # The local session ends regardless; a broken IdP must not keep anyone logged in.
        return None


@public
def logged_out(request):
    return render(request, "site/logged_out.html")
