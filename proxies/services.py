"""Writes to powers of attorney: grant and end. Each is one transaction; the rules come from
proxies.access, so the grant form and the person switch can never disagree."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from prescriptions.models import Person
from proxies import access
from proxies.models import PowerOfAttorney

logger = logging.getLogger(__name__)


class GrantRefused(Exception):
    """`code` is an access.Refusal value or one of the codes below; never carries a number."""

    ALREADY_ACTIVE = "already_active"
    END_IN_PAST = "end_in_past"

    def __init__(self, code: str, existing: PowerOfAttorney | None = None):
        super().__init__(code)
        self.code = code
        self.existing = existing


class PowerNotFound(Exception):
    """No power of attorney with that id has this person as grantor or holder."""


class AlreadyEnded(Exception):
    pass


def _ran_out_at(poa: PowerOfAttorney) -> datetime.datetime:
    # It stopped being in force at midnight Europe/Oslo after its last day.
    return timezone.make_aware(datetime.datetime.combine(poa.ends_on + datetime.timedelta(days=1), datetime.time.min))


def _check_people_and_dates(grantor, holder, ends_on, today) -> None:
    refusal = access.poa_refusal(grantor, holder, today)
    if refusal is not None:
        raise GrantRefused(refusal)
    if ends_on is not None and ends_on < today:
        raise GrantRefused(GrantRefused.END_IN_PAST)


def check_grant(grantor: Person, holder: Person, ends_on: datetime.date | None, today: datetime.date) -> None:
    """Raise GrantRefused if this grant could not be made today. For the form's first step, before
    the holder's name is shown; grant_power checks everything again under a lock."""
    _check_people_and_dates(grantor, holder, ends_on, today)
    for poa in PowerOfAttorney.objects.filter(grantor=grantor, holder=holder, ended_at__isnull=True):
        if access.poa_is_current(poa, today):
            raise GrantRefused(GrantRefused.ALREADY_ACTIVE, existing=poa)


@transaction.atomic
def grant_power(
    grantor: Person, holder: Person, ends_on: datetime.date | None, today: datetime.date
) -> PowerOfAttorney:
    """A new power of attorney in force from today, open-ended or up to and including `ends_on`.

    A time-limited one of the same pair that has run out is closed first, so the database's
    one-open-per-pair constraint never blocks a legitimate new grant.
    """
    _check_people_and_dates(grantor, holder, ends_on, today)
    open_ones = PowerOfAttorney.objects.select_for_update().filter(
        grantor=grantor, holder=holder, ended_at__isnull=True
    )
    for poa in open_ones:
        if access.poa_is_current(poa, today):
            raise GrantRefused(GrantRefused.ALREADY_ACTIVE, existing=poa)
        poa.ended_at = _ran_out_at(poa)
        poa.save(update_fields=["ended_at"])
    try:
        # A concurrent grant for the same pair loses on the unique constraint, not silently.
        with transaction.atomic():
            poa = PowerOfAttorney.objects.create(grantor=grantor, holder=holder, starts_on=today, ends_on=ends_on)
    except IntegrityError:
        raise GrantRefused(GrantRefused.ALREADY_ACTIVE) from None
    logger.info("power of attorney granted", extra={"poa_id": poa.pk})
    return poa


@transaction.atomic
def end_power(poa_id: int, by: Person, today: datetime.date) -> PowerOfAttorney:
    """End a power of attorney now, as its grantor or its holder. It stays as history."""
    try:
        poa = PowerOfAttorney.objects.select_for_update().get(Q(grantor=by) | Q(holder=by), pk=poa_id)
    except PowerOfAttorney.DoesNotExist:
        raise PowerNotFound from None
    if not access.poa_is_current(poa, today):
        raise AlreadyEnded
    poa.ended_at = timezone.now()
    poa.ended_by = by
    poa.save(update_fields=["ended_at", "ended_by"])
    logger.info("power of attorney ended", extra={"poa_id": poa.pk})
    return poa
