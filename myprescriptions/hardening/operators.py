"""Who may use the operator console (the Django admin), and granting that right.

An operator is a staff user whose current session came from a SAML login, which the SAML layer
completes only at high assurance (myprescriptions.saml.assurance). A password, a session made by
other means, or staff status alone is not enough.
"""

import logging

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib.auth import get_user_model

from prescriptions import identity
from prescriptions.models import Person

logger = logging.getLogger(__name__)


class OperatorGrantError(Exception):
    """str(e) is a message for the person running the command; it never contains the number."""


def _saml_provider_ids() -> set[str]:
    return {
        app.get("provider_id", "saml")
        for app in settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", [])
    } or {"saml"}


def logged_in_through_saml(request) -> bool:
    """allauth records each authentication of the session; a SAML login is a "socialaccount"
    authentication with our SAML provider."""
    records = get_authentication_records(request, request.user)
    providers = _saml_provider_ids()
    return any(r.get("method") == "socialaccount" and r.get("provider") in providers for r in records)


def is_operator(request) -> bool:
    user = request.user
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and getattr(user, "person_id", None)
        and logged_in_through_saml(request)
    )


def set_operator(national_id: str, *, operator: bool):
    """Make the user behind `national_id` an operator (or no longer one). They must have logged in
    once, so that their account is the one their SAML logins map to."""
    try:
        number = identity.parse(national_id)
    except identity.InvalidIdentityNumber:
        raise OperatorGrantError("That is not a valid national identity number.") from None
    user = get_user_model().objects.filter(person__in=Person.objects.filter(national_id=number.value)).first()
    if user is None:
        raise OperatorGrantError(
            "No one with that number has logged in yet. Ask them to log in once, then run this again."
        )
    if user.is_staff != operator:
        user.is_staff = operator
        user.save(update_fields=["is_staff"])
    logger.info("operator access changed", extra={"user_id": user.pk, "operator": operator})
    return user
