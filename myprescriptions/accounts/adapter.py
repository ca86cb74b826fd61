import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from prescriptions.services import person_for_login


class NoLocalAccountsAdapter(DefaultAccountAdapter):
    """Citizens never sign up, set passwords or receive e-mail: only SAML logins exist."""

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        return reverse("proxies:choose")

    def get_logout_redirect_url(self, request):
        return reverse("site:landing")

    def is_safe_url(self, url):
        """Only a path on this site: "next" travels through the IdP and back, and a login page
        that forwards to another origin is a phishing tool. allauth would also accept any host
        in ALLOWED_HOSTS."""
        return bool(url) and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


class EidSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def list_apps(self, request, provider=None, client_id=None):
        """The apps of SOCIALACCOUNT_PROVIDERS only. allauth would also read SocialApp rows from the
        database on every SAML step (a query each), but the IdP and SP configuration comes from
        settings alone: the operator console offers no SocialApp, and a row someone put in the
        table must not add or replace a login provider."""
        # A helper of allauth's (pinned version), the half of its list_apps that reads settings.
        from allauth.socialaccount.adapter import _build_apps_from_settings

        by_provider = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for apps in by_provider.values() for app in apps]

    def populate_user(self, request, sociallogin, data):
        user = sociallogin.user
        sociallogin.state["names"] = (data.get("first_name") or "", data.get("last_name") or "")
        # The username is an opaque handle: identity numbers stay out of admin lists and logs.
        user.username = f"eid-{uuid.uuid4().hex[:20]}"
        user.set_unusable_password()
        return user

    def save_user(self, request, sociallogin, form=None):
        given, family = sociallogin.state.pop("names", ("", ""))
        sociallogin.user.person = person_for_login(sociallogin.account.uid, given, family)
        return super().save_user(request, sociallogin, form)

    def pre_social_login(self, request, sociallogin):
        # allauth's lookup() has just read this user from the database: a primary key means an
        # existing account (sociallogin.is_existing would ask the database again).
        if sociallogin.user.pk is not None:
            person = person_for_login(sociallogin.account.uid)
            if sociallogin.user.person_id != person.pk:
                sociallogin.user.person = person
                sociallogin.user.save(update_fields=["person"])
