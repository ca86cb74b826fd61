"""Checks on a verified SAML response that allauth does not make: the level of assurance, the
identity number, issue instants within the clock skew, and one-time use of each assertion."""

import logging

from django.conf import settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from myprescriptions.saml import replay
from prescriptions import identity

logger = logging.getLogger(__name__)


class LoginRefused(Exception):
    """A verified response we still refuse. `reason` selects the message shown."""

    def __init__(self, reason: str, status: int = 403):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def check_assurance(authn_contexts: list[str]) -> None:
    accepted = set(settings.SAML_AUTHN_CONTEXTS)
    if not authn_contexts or any(ctx not in accepted for ctx in authn_contexts):
        raise LoginRefused("assurance")


def check_identity_number(uid: str | None) -> str:
    try:
        return identity.parse(uid or "").value
    except identity.InvalidIdentityNumber:
        raise LoginRefused("uid") from None


def check_issue_instants(instants: list[int | None]) -> None:
    """python3-saml lets a response issued in the future through as long as its NotBefore is
    close enough; an IdP clock that runs ahead by more than the allowed skew is refused here.
    `instants` are the Response's and the Assertion's IssueInstant as POSIX seconds."""
    latest_allowed = OneLogin_Saml2_Utils.now() + settings.SAML_CLOCK_SKEW_SECONDS
    for issued in instants:
        if issued is None or issued > latest_allowed:
            raise LoginRefused("invalid", 400)


def consume_assertion(assertion_id: str | None, not_on_or_after: int | None) -> None:
    """Refuse a second use of the same assertion, in any process sharing the replay store."""
    if not assertion_id:
        raise LoginRefused("invalid", 400)
    try:
        first = replay.get_store().first_use(assertion_id, replay.keep_until(not_on_or_after))
    except Exception as exc:  # a store we cannot reach must not let a replay through
        logger.error("saml replay cache unavailable", extra={"error": type(exc).__name__})
        raise LoginRefused("unavailable", 503) from None
    if not first:
        raise LoginRefused("replay")
