"""What the grant form tells a person when a power of attorney cannot be made, one message per reason.

A refusal about the holder never shows the holder's name: the name is shown only once the grant
is possible, so the form reveals as little as it can about whoever owns a typed number.
"""

from django.utils.translation import gettext_lazy as _

from proxies.access import Refusal
from proxies.services import GrantRefused

UNKNOWN_NUMBER = "unknown_number"

MESSAGES = {
    Refusal.SELF: _("You cannot give a power of attorney to yourself."),
    Refusal.GRANTOR_DECEASED: _("A power of attorney cannot be given in the name of a deceased person."),
    Refusal.GRANTOR_PROTECTED: _(
        "You have a protected address. People with a protected address can neither give nor hold a power "
        "of attorney in this service."
    ),
    Refusal.GRANTOR_TOO_YOUNG: _("You must be at least 16 years old to give a power of attorney."),
    Refusal.HOLDER_DECEASED: _("The person with this number is registered as deceased and cannot hold a power of attorney."),
    Refusal.HOLDER_PROTECTED: _(
        "The person with this number cannot hold a power of attorney in this service: people with a "
        "protected address can neither represent others nor be represented here."
    ),
    Refusal.HOLDER_TOO_YOUNG: _("The person who holds a power of attorney must be at least 18 years old."),
    GrantRefused.ALREADY_ACTIVE: _(
        "This person already holds a power of attorney from you. To change it, end it and grant a new one."
    ),
    GrantRefused.END_IN_PAST: _("The last day cannot be in the past."),
    UNKNOWN_NUMBER: _("We found no person with this national identity number. Check the number and try again."),
}


def message_for(code: str):
    return MESSAGES[code]
