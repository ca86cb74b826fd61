"""Checks on a verified SAML response that allauth does not make: the level of assurance, the
identity number, and one-time use of each assertion."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from myprescriptions.accounts.models import UsedAssertion
from prescriptions import identity


class LoginRefused(Exception):
    """A verified response we still refuse. `reason` selects the message shown."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_assurance(authn_contexts: list[str]) -> None:
    accepted = set(settings.SAML_AUTHN_CONTEXTS)
    if not authn_contexts or any(ctx not in accepted for ctx in authn_contexts):
        raise LoginRefused("assurance")


def check_identity_number(uid: str | None) -> str:
    try:
        return identity.parse(uid or "").value
    except identity.InvalidIdentityNumber:
        raise LoginRefused("uid") from None


def consume_assertion(assertion_id: str | None, not_on_or_after: int | None) -> None:
    """Refuse a second use of the same assertion, in any process sharing the database."""
    if not assertion_id:
        raise LoginRefused("invalid")
    now = timezone.now()
    expires = (
        datetime.datetime.fromtimestamp(not_on_or_after, tz=datetime.UTC)
        if not_on_or_after
        else now + datetime.timedelta(hours=1)
    )
    UsedAssertion.objects.filter(not_on_or_after__lt=now - datetime.timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS)).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(assertion_id=assertion_id[:256], not_on_or_after=expires)
    except IntegrityError:
        raise LoginRefused("replay") from None
