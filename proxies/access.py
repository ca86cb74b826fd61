"""THE access policy: whom a viewer may act for on a given day, and on what basis.

The only place that knows the age limits, power-of-attorney validity, the protected-address rule
and the rule on deceased persons. Everything but `load_relations` is a pure function of data and
date: `options`/`decide` for the person switch, `poa_refusal` for the grant form, `poa_state` for
whether a power of attorney is upcoming, in force, run out or ended. `load_relations` fetches the
data they need.
"""

import datetime
from dataclasses import dataclass

from prescriptions.models import AccessLogEntry, Person
from proxies.models import ParentalResponsibility, PowerOfAttorney

CHILD_ACCESS_ENDS_AT = 16
GUARDIAN_RESERVATION_FROM = 12
POA_GRANTOR_MIN_AGE = 16
POA_HOLDER_MIN_AGE = 18

Basis = AccessLogEntry.Basis


@dataclass(frozen=True)
class Choice:
    person: Person
    basis: str
    hide_guardian_reserved: bool = False
    power_of_attorney: PowerOfAttorney | None = None


def _alive(person: Person, day: datetime.date) -> bool:
    return person.date_of_death is None or person.date_of_death > day


def _age_at_least(person: Person, years: int, day: datetime.date) -> bool:
    age = person.age_on(day)
    return age is not None and age >= years


def may_act_at_all(viewer: Person, day: datetime.date) -> bool:
    return _alive(viewer, day)


def may_represent_or_be_represented(person: Person, day: datetime.date) -> bool:
    return _alive(person, day) and not person.has_protected_address


def child_choice(viewer: Person, child: Person, day: datetime.date) -> Choice | None:
    if not (may_represent_or_be_represented(viewer, day) and may_represent_or_be_represented(child, day)):
        return None
    age = child.age_on(day)
    if age is None or age >= CHILD_ACCESS_ENDS_AT:
        return None
    return Choice(child, Basis.PARENT, hide_guardian_reserved=age >= GUARDIAN_RESERVATION_FROM)


class Refusal:
    """Why two people cannot be in a power of attorney. The grant form turns each into a message."""

    SELF = "self"
    GRANTOR_DECEASED = "grantor_deceased"
    GRANTOR_PROTECTED = "grantor_protected_address"
    GRANTOR_TOO_YOUNG = "grantor_too_young"
    HOLDER_DECEASED = "holder_deceased"
    HOLDER_PROTECTED = "holder_protected_address"
    HOLDER_TOO_YOUNG = "holder_too_young"


def grantor_refusal(grantor: Person, day: datetime.date) -> str | None:
    """Why `grantor` cannot give anyone a power of attorney on `day`, or None."""
    if not _alive(grantor, day):
        return Refusal.GRANTOR_DECEASED
    if grantor.has_protected_address:
        return Refusal.GRANTOR_PROTECTED
    if not _age_at_least(grantor, POA_GRANTOR_MIN_AGE, day):
        return Refusal.GRANTOR_TOO_YOUNG
    return None


def holder_refusal(holder: Person, day: datetime.date) -> str | None:
    """Why `holder` cannot hold anyone's power of attorney on `day`, or None."""
    if not _alive(holder, day):
        return Refusal.HOLDER_DECEASED
    if holder.has_protected_address:
        return Refusal.HOLDER_PROTECTED
    if not _age_at_least(holder, POA_HOLDER_MIN_AGE, day):
        return Refusal.HOLDER_TOO_YOUNG
    return None


def poa_refusal(grantor: Person, holder: Person, day: datetime.date) -> str | None:
    """Why these two cannot be in a power of attorney on `day`, or None. Used when granting, too."""
    if grantor.pk == holder.pk:
        return Refusal.SELF
    return grantor_refusal(grantor, day) or holder_refusal(holder, day)


class PoaState:
    UPCOMING = "upcoming"
    IN_FORCE = "in_force"
    RAN_OUT = "ran_out"  # a time-limited one past its end date
    ENDED = "ended"  # ended early by the grantor or the holder


def poa_state(poa: PowerOfAttorney, day: datetime.date) -> str:
    if poa.ended_at is not None:
        return PoaState.ENDED
    if poa.ends_on is not None and day > poa.ends_on:
        return PoaState.RAN_OUT
    if day < poa.starts_on:
        return PoaState.UPCOMING
    return PoaState.IN_FORCE


def poa_in_force(poa: PowerOfAttorney, day: datetime.date) -> bool:
    # The end date is the last day in force (Europe/Oslo), the start date the first.
    return poa_state(poa, day) == PoaState.IN_FORCE


def poa_is_current(poa: PowerOfAttorney, day: datetime.date) -> bool:
    """In force or yet to start: blocks another grant to the same holder; otherwise it is history."""
    return poa_state(poa, day) in (PoaState.IN_FORCE, PoaState.UPCOMING)


def poa_choice(viewer: Person, poa: PowerOfAttorney, day: datetime.date) -> Choice | None:
    if poa.holder_id != viewer.pk or not poa_in_force(poa, day):
        return None
    if poa_refusal(poa.grantor, viewer, day) is not None:
        return None
    # The holder sees only the grantor's own prescriptions: no chains, no grantor's children.
    return Choice(poa.grantor, Basis.POWER_OF_ATTORNEY, power_of_attorney=poa)


def options(
    viewer: Person,
    child_links: list[ParentalResponsibility],
    powers_held: list[PowerOfAttorney],
    day: datetime.date,
) -> list[Choice]:
    """Everyone the viewer may act for on `day`, themselves first."""
    if not may_act_at_all(viewer, day):
        return []
    result = [Choice(viewer, Basis.SELF)]
    for link in child_links:
        choice = child_choice(viewer, link.child, day)
        if choice:
            result.append(choice)
    for poa in powers_held:
        choice = poa_choice(viewer, poa, day)
        if choice and all(c.person.pk != choice.person.pk for c in result):
            result.append(choice)
    return result


def decide(viewer: Person, person_id: int, day: datetime.date, child_links, powers_held) -> Choice | None:
    """The viewer's right to act for person_id on `day`, or None."""
    for choice in options(viewer, child_links, powers_held, day):
        if choice.person.pk == person_id:
            return choice
    return None


def load_relations(viewer: Person, only_person_id: int | None = None):
    """The viewer's child links and held powers, optionally only those concerning one person."""
    links = ParentalResponsibility.objects.filter(parent=viewer).select_related("child")
    poas = PowerOfAttorney.objects.filter(holder=viewer, ended_at__isnull=True).select_related("grantor")
    if only_person_id is not None:
        links = links.filter(child_id=only_person_id)
        poas = poas.filter(grantor_id=only_person_id)
    return list(links), list(poas)
