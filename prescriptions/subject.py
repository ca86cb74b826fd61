"""Whose data a request shows, and on what basis. Built by the proxies layer, read here."""

from dataclasses import dataclass

from prescriptions.models import AccessLogEntry, Person


@dataclass(frozen=True)
class Subject:
    person: Person
    viewer: Person
    basis: str  # one of AccessLogEntry.Basis
    # Parents of 12–15-year-olds must not see prescriptions the child reserved.
    hide_guardian_reserved: bool = False

    @property
    def is_self(self) -> bool:
        return self.basis == AccessLogEntry.Basis.SELF

    @property
    def prescriptions(self):
        qs = self.person.prescriptions.all()
        if self.hide_guardian_reserved:
            qs = qs.filter(guardian_reserved=False)
        return qs

    @property
    def dispenses(self):
        qs = self.person.dispenses.all()
        if self.hide_guardian_reserved:
            qs = qs.filter(prescription__guardian_reserved=False)
        return qs
