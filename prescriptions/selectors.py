"""Every read of health data goes through a Subject, so the proxy rules apply everywhere."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import timezone

from prescriptions.models import AccessLogEntry, Dispense, Prescription
from prescriptions.subject import Subject

EXPIRY_WARNING_DAYS = 30
# Validity turns at midnight in Norway, whatever time zone the server or the request uses.
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def today() -> datetime.date:
    """Today's date in Europe/Oslo: the day D of the validity rules."""
    return timezone.localtime(timezone.now(), OSLO).date()


class HistoryReason:
    CANCELLED = "cancelled"
    USED_UP = "used_up"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PrescriptionRow:
    prescription: Prescription
    remaining: int
    allowed: int
    dispensed: int  # non-cancelled dispenses so far
    expires_soon: bool
    not_yet_valid: bool
    history_reason: str | None
    # The locked-prescription reference is for the patient's own eyes.
    show_locked_reference: bool


def _annotated(subject: Subject):
    return (
        subject.prescriptions.select_related("medication", "prescriber")
        .annotate(dispensed=Count("dispenses", filter=~Q(dispenses__status=Dispense.Status.CANCELLED)))
        .annotate(remaining=1 + F("reiterations") - F("dispensed"))
    )


def _row(subject: Subject, p: Prescription, today: datetime.date) -> PrescriptionRow:
    remaining = max(p.remaining, 0)
    if p.status == Prescription.Status.CANCELLED:
        reason = HistoryReason.CANCELLED
    elif p.status == Prescription.Status.COMPLETED or remaining <= 0:
        reason = HistoryReason.USED_UP
    elif today > p.expires_on:
        reason = HistoryReason.EXPIRED
    else:
        reason = None
    return PrescriptionRow(
        prescription=p,
        remaining=remaining,
        allowed=p.dispenses_allowed,
        dispensed=p.dispensed,
        expires_soon=reason is None and (p.expires_on - today).days <= EXPIRY_WARNING_DAYS,
        not_yet_valid=reason is None and today < p.earliest_dispense_on,
        history_reason=reason,
        show_locked_reference=subject.is_self,
    )


def _current(subject: Subject, today: datetime.date):
    """Active, not expired on `today`, with dispenses left: valid now or from a later date."""
    return _annotated(subject).filter(status=Prescription.Status.ACTIVE, expires_on__gte=today, remaining__gt=0)


def valid_prescriptions(subject: Subject, today: datetime.date) -> list[PrescriptionRow]:
    """Active, within [earliest dispense, expiry] on `today`, with dispenses left."""
    qs = _current(subject, today).filter(earliest_dispense_on__lte=today)
    return [_row(subject, p, today) for p in qs.order_by("expires_on", "id")]


def upcoming_prescriptions(subject: Subject, today: datetime.date) -> list[PrescriptionRow]:
    """Active prescriptions that cannot be dispensed yet: not history, not valid today."""
    qs = _current(subject, today).filter(earliest_dispense_on__gt=today)
    return [_row(subject, p, today) for p in qs.order_by("earliest_dispense_on", "id")]


def current_prescriptions(
    subject: Subject, today: datetime.date
) -> tuple[list[PrescriptionRow], list[PrescriptionRow]]:
    """(valid today, valid from a later date) in one query, for the overview page."""
    valid, upcoming = [], []
    for p in _current(subject, today).order_by("expires_on", "id"):
        (upcoming if p.earliest_dispense_on > today else valid).append(_row(subject, p, today))
    upcoming.sort(key=lambda row: (row.prescription.earliest_dispense_on, row.prescription.pk))
    return valid, upcoming


def history_prescriptions(subject: Subject, today: datetime.date) -> list[PrescriptionRow]:
    """Expired, used up or cancelled, each with its reason."""
    qs = _annotated(subject).filter(
        Q(status__in=[Prescription.Status.CANCELLED, Prescription.Status.COMPLETED])
        | Q(expires_on__lt=today)
        | Q(remaining__lte=0)
    )
    return [_row(subject, p, today) for p in qs.order_by("-expires_on", "-id")]


def prescription_detail(subject: Subject, public_id, today: datetime.date):
    """The subject's prescription with its dispenses; 404 for anything not theirs."""
    try:
        p = _annotated(subject).get(public_id=public_id)
    except (Prescription.DoesNotExist, ValueError, ValidationError):
        # A malformed id is as unknown as a foreign one: 404, never a 500.
        raise Http404 from None
    dispenses = list(
        p.dispenses.select_related("pharmacy", "medication").order_by("-handed_over_at", "-id")
    )
    return _row(subject, p, today), dispenses


def dispenses(subject: Subject, *, start: datetime.date | None = None, end: datetime.date | None = None):
    """Every dispense to the subject, newest first, optionally within [start, end] (Oslo dates)."""
    qs = subject.dispenses.select_related("pharmacy", "medication", "prescription__medication")
    if start:
        qs = qs.filter(handed_over_at__date__gte=start)
    if end:
        qs = qs.filter(handed_over_at__date__lte=end)
    return qs.order_by("-handed_over_at", "-id")


def access_log(person):
    return AccessLogEntry.objects.filter(subject=person).select_related("viewer")
