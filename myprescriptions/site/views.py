import datetime

from django.conf import settings
from django.contrib.auth import logout as django_logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from myprescriptions.site import consent, cookies, language
from prescriptions.access_rules import public

# When the accessibility statement was last checked against the service.
ACCESSIBILITY_REVIEWED_ON = datetime.date(2026, 12, 3)


def _local_next(request, fallback="site:landing") -> str:
    """The form's "next" when it is a path on this site, else the fallback: never an open redirect."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return reverse(fallback)


@public
@require_GET
def landing(request):
    if request.user.is_authenticated and request.subject is not None:
        return redirect("prescriptions:valid")
    context = {"saml_org": settings.SAML_ORG, "login_required": request.GET.get("login") == "required"}
    return render(request, "site/landing.html", context)


@public
@require_GET
def accessibility(request):
    return render(request, "site/accessibility.html", {"reviewed_on": ACCESSIBILITY_REVIEWED_ON})


@public
@require_GET
def cookie_page(request):
    registry = cookies.registry()
    context = {
        "service_cookies": [c for c in registry if c.essential and c.set_by == cookies.SERVICE],
        "infrastructure_cookies": [c for c in registry if c.set_by != cookies.SERVICE],
        "optional_cookies": [c for c in registry if c.optional],
        # What "Secure" means here depends on the installation: on in production, off in development.
        "cookies_secure": settings.SESSION_COOKIE_SECURE,
    }
    return render(request, "site/cookies.html", context)


@public
@require_POST
def consent_choice(request):
    """"Accept" or "Only essential", from the banner or the cookie page. Any other value is ignored."""
    response = redirect(_local_next(request, fallback="site:cookies"))
    choice = request.POST.get("choice")
    if choice not in consent.CHOICES:
        return response
    consent.remember(response, choice)
    if choice == consent.ALL:
        # Accepting now keeps the language already chosen in this session for the next visit too.
        code = language.supported(request.session.get(language.SESSION_KEY))
        if code:
            language.set_cookie(response, code)
    elif settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        # The language stays for this visit, in the session, but no longer in a cookie.
        code = language.supported(request.COOKIES[settings.LANGUAGE_COOKIE_NAME])
        if code and not request.session.get(language.SESSION_KEY):
            request.session[language.SESSION_KEY] = code
        language.delete_cookie(response)
    return response


@public
@require_POST
def set_language(request):
    """The language switch. Unknown codes are ignored and the current language stays."""
    response = redirect(_local_next(request))
    code = language.supported(request.POST.get("language"))
    if code:
        language.remember(request, response, code)
    return response


@public
@require_POST
def logout(request):
    """Ends the local session, then single logout at the IdP when it offers one."""
    slo_url = None
    if request.user.is_authenticated:
        slo_url = _idp_logout_url(request)
    language.keep_across(request, lambda: django_logout(request))
    return redirect(slo_url or "site:logged_out")


def _idp_logout_url(request):
    from urllib.parse import urlencode

    from allauth.socialaccount.adapter import get_adapter

    from myprescriptions.saml.config import build_auth

    if settings.AUTH_MODE == "shibboleth":
        # The Shibboleth SP in front of us runs single logout at the IdP, then returns here.
        if not settings.SHIB_LOGOUT_URL:
            return None
        back = request.build_absolute_uri(reverse("site:logged_out"))
        return f"{settings.SHIB_LOGOUT_URL}?{urlencode({'return': back})}"
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
