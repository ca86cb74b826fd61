from django.core.management.base import BaseCommand, CommandError

from myprescriptions.hardening.operators import OperatorGrantError, set_operator


class Command(BaseCommand):
    help = (
        "Let a person use the operator console (Django admin, with ADMIN_ENABLED on): staff status for "
        "the account they log in with. They still have to log in through SAML at high assurance."
    )

    def add_arguments(self, parser):
        parser.add_argument("national_id", help="their national identity number (11 digits)")
        parser.add_argument("--revoke", action="store_true", help="take the right away again")

    def handle(self, national_id, revoke, **options):
        try:
            user = set_operator(national_id, operator=not revoke)
        except OperatorGrantError as exc:
            raise CommandError(str(exc)) from None
        verb = "no longer has" if revoke else "now has"
        self.stdout.write(f"Account {user.username} {verb} operator access.")
