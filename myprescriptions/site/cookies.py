"""Every cookie the service can cause, in one list. The cookie page is rendered from it, and the
tests drive a full visit and fail when a cookie appears that is not here, or when its lifetime,
HttpOnly, SameSite or Secure differ from what is written here.

Names come from the code or settings that set them, so renaming a cookie cannot leave this list
behind. Infrastructure in front of the service (a BIG-IP load balancer, a Shibboleth SP) sets
its own cookies; those are listed when the deployment says it has them (INFRASTRUCTURE_COOKIES,
or AUTH_MODE=shibboleth), and their properties are decided by that equipment's configuration.
"""

import fnmatch
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from myprescriptions.site import consent, language

SERVICE = "service"
LOAD_BALANCER = "load_balancer"
SHIBBOLETH = "shibboleth"
SETTERS = {
    SERVICE: _("My Prescriptions"),
    LOAD_BALANCER: _("The load balancer in front of the service"),
    SHIBBOLETH: _("The login component in front of the service (Shibboleth)"),
}
# Deployment switches for cookies set by equipment in front of the service.
BIGIP = "bigip"
SHIB = "shibboleth"
INFRASTRUCTURE = (BIGIP, SHIB)


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    essential: bool
    set_by: str = SERVICE
    # Seconds, or None for a cookie that ends when the browser closes.
    max_age: int | None = None
    # Claims about the flags; None where the infrastructure's configuration decides.
    http_only: bool | None = True
    same_site: str | None = "Lax"
    secure_in_production: bool | None = True
    # A shell-style pattern when the real name carries a suffix (pool name, application id).
    pattern: bool = False
    # Set only while this path is requested (the cookie is sent back only there).
    path: str = "/"
    # Listed only in deployments with this infrastructure (see INFRASTRUCTURE).
    deployed_with: str = ""
    lifetime_note: str = ""

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.name) if self.pattern else name == self.name

    @property
    def optional(self) -> bool:
        return not self.essential

    @property
    def set_by_label(self):
        return SETTERS[self.set_by]

    @property
    def lifetime(self) -> str:
        if self.lifetime_note:
            return str(self.lifetime_note)
        return describe_lifetime(self.max_age)


def describe_lifetime(max_age: int | None) -> str:
    if max_age is None:
        return str(_("Until you close the browser"))
    days = max_age // 86400
    if days and days % 365 == 0:
        years = days // 365
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    if days and days % 7 == 0:
        weeks = days // 7
        return ngettext("%(count)d week", "%(count)d weeks", weeks) % {"count": weeks}
    if days:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    minutes = max(1, max_age // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _session_purpose():
    return str(_(
        "Keeps you logged in from page to page, and remembers whose prescriptions you are viewing and, "
        "until you close the browser, the language you chose. It holds only a random key; the rest stays "
        "on our server. A session ends after %(idle)d minutes without activity and after %(limit)d minutes "
        "at most."
    )) % {"idle": settings.SESSION_IDLE_SECONDS // 60, "limit": settings.SESSION_ABSOLUTE_SECONDS // 60}


session_purpose = lazy(_session_purpose, str)


def all_cookies() -> list[Cookie]:
    """Every cookie the service or its infrastructure can set, whatever the deployment."""
    return [
        Cookie(
            name=settings.SESSION_COOKIE_NAME,
            purpose=session_purpose(),
            essential=True,
            max_age=None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE,
        ),
        Cookie(
            name=settings.CSRF_COOKIE_NAME,
            purpose=_(
                "Protects the forms on the site (such as log in, log out and changing language) against "
                "being sent by other websites in your name."
            ),
            essential=True,
            max_age=settings.CSRF_COOKIE_AGE,
        ),
        Cookie(
            name="saml-acs-session",
            purpose=_(
                "Carries the answer from the electronic ID service for the moment it takes to complete your "
                "login. It is only sent to the address that finishes the login."
            ),
            essential=True,
            # django-allauth sets it without HttpOnly; myprescriptions.hardening.headers adds it.
            path=reverse("saml_finish_acs", kwargs={"organization_slug": settings.SAML_ORG}),
        ),
        Cookie(
            name=consent.COOKIE_NAME,
            purpose=_(
                "Remembers your answer to the question about cookies, so that we do not ask again on every page."
            ),
            essential=True,
            max_age=consent.MAX_AGE,
        ),
        Cookie(
            name="messages",
            purpose=_(
                "Carries a short notice to the next page, for example that you have been logged out. It "
                "is removed as soon as the notice has been shown."
            ),
            essential=True,
        ),
        Cookie(
            name=settings.LANGUAGE_COOKIE_NAME,
            purpose=_(
                "Remembers the language you chose (Bokmål, Nynorsk or English) for your next visit. Set only "
                "if you accept optional cookies; otherwise your choice is kept until you close the browser."
            ),
            essential=False,
            max_age=language.COOKIE_MAX_AGE,
        ),
        Cookie(
            name="BIGipServer*",
            pattern=True,
            purpose=_(
                "Set by the load balancer so that all your requests during a visit go to the same server."
            ),
            essential=True,
            set_by=LOAD_BALANCER,
            http_only=None,
            same_site=None,
            secure_in_production=None,
            deployed_with=BIGIP,
            lifetime_note=_("Until you close the browser"),
        ),
        Cookie(
            name="_shibsession_*",
            pattern=True,
            purpose=_(
                "Set by the login component in front of the service. It keeps your electronic ID login "
                "and protects the service against misuse of your session."
            ),
            essential=True,
            set_by=SHIBBOLETH,
            http_only=None,
            same_site=None,
            secure_in_production=None,
            deployed_with=SHIB,
            lifetime_note=_("Until you close the browser"),
        ),
    ]


def deployed_infrastructure() -> set[str]:
    deployed = {item for item in getattr(settings, "INFRASTRUCTURE_COOKIES", []) if item in INFRASTRUCTURE}
    if getattr(settings, "AUTH_MODE", "saml") == "shibboleth":
        deployed.add(SHIB)
    return deployed


def registry() -> list[Cookie]:
    """The cookies of this deployment: what the cookie page shows."""
    deployed = deployed_infrastructure()
    return [cookie for cookie in all_cookies() if not cookie.deployed_with or cookie.deployed_with in deployed]


def find(name: str) -> Cookie | None:
    return next((cookie for cookie in all_cookies() if cookie.matches(name)), None)


def optional_names() -> set[str]:
    return {cookie.name for cookie in all_cookies() if cookie.optional}
