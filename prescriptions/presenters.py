"""What a prescription card and a row of dispensed items show, put together once per item in Python.

The overview and the history list one card per prescription, the dispensed items page 50 rows,
and in the template language every badge, label, date and link of an item is a node of its own,
resolved and escaped one by one: about a quarter of a millisecond per card on the benchmark
machine, the largest single cost of those pages. Here an item is a handful of plain values, and
the templates (prescriptions/_card.html, prescriptions/dispensed.html) only place them. The
templates still escape every value; the only markup made here is built with format_html.
"""

import datetime
from dataclasses import dataclass

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from prescriptions.models import Dispense, Prescription
from prescriptions.selectors import HistoryReason, PrescriptionRow


@dataclass(frozen=True)
class Card:
    anchor: str  # the heading's id, which the article is labelled by
    url: str
    name: str
    subtitle: str  # form and strength
    expiring: bool
    badges: list[tuple[str, str]]  # (CSS class, text)
    facts: list[tuple[str, str]]  # (term, description) for the description list


def _date(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _badges(row: PrescriptionRow) -> list[tuple[str, str]]:
    p = row.prescription
    badges = []
    if p.is_blue:
        badges.append(("blue", _("Blue prescription")))
    if p.dispensing_group == Prescription.DispensingGroup.A:
        badges.append(("group", _("Group A (narcotic)")))
    elif p.dispensing_group == Prescription.DispensingGroup.B:
        badges.append(("group", _("Group B")))
    if p.locked:
        label = _("Locked prescription")
        # The reference number is for the patient's own eyes (DOMAIN.md).
        if row.show_locked_reference and p.locked_reference:
            label = f"{label} – {_('reference')} {p.locked_reference}"
        badges.append(("locked", label))
    if row.expires_soon:
        badges.append(("warning", _("Expires soon")))
    history = {
        HistoryReason.EXPIRED: _("Expired"),
        HistoryReason.USED_UP: _("Used up"),
        HistoryReason.CANCELLED: _("Cancelled"),
    }.get(row.history_reason)
    if history:
        badges.append(("muted", history))
    return badges


def _facts(row: PrescriptionRow) -> list[tuple[str, str]]:
    p = row.prescription
    expires = _date(p.expires_on)
    if row.expires_soon:
        expires = format_html('{} <strong class="warning-text">({})</strong>', expires, _("expires within 30 days"))
    facts = [
        (_("Dosage"), p.dosage_text or "–"),
        (_("Prescriber"), p.prescriber.name),
        (_("Issued"), _date(p.issued_on)),
        (_("Expires"), expires),
    ]
    if row.history_reason == HistoryReason.EXPIRED:
        facts.append((_("Reason"), _("Expired on %(date)s") % {"date": _date(p.expires_on)}))
    elif row.history_reason == HistoryReason.USED_UP:
        facts.append((_("Reason"), _("Used up: no dispenses left")))
    elif row.history_reason:
        facts.append((_("Reason"), _("Cancelled")))
    if row.not_yet_valid:
        facts.append((_("Can be dispensed from"), _date(p.earliest_dispense_on)))
    # "Left" only means something while the prescription can still be dispensed.
    if row.history_reason:
        dispenses = _("%(used)s of %(total)s dispensed") % {"used": row.dispensed, "total": row.allowed}
    else:
        dispenses = _("%(left)s of %(total)s left") % {"left": row.remaining, "total": row.allowed}
    facts.append((_("Dispenses"), dispenses))
    return facts


def card(row: PrescriptionRow) -> Card:
    p = row.prescription
    return Card(
        anchor=f"rx-{p.public_id}",
        url=reverse("prescriptions:detail", args=[p.public_id]),
        name=p.medication.name,
        subtitle=f"{p.medication.form} {p.medication.strength}",
        expiring=row.expires_soon,
        badges=_badges(row),
        facts=_facts(row),
    )


def cards(rows: list[PrescriptionRow]) -> list[Card]:
    return [card(row) for row in rows]


@dataclass(frozen=True)
class DispensedRow:
    date: str  # the day it was handed over, in the site's time zone
    pharmacy: str
    url: str  # the prescription it was dispensed on
    item: str  # what was handed over
    substituted_for: str  # the prescribed item, when the pharmacy substituted a generic
    quantity: str  # with the prescription's unit
    cancelled: bool


def quantity(amount, unit: str) -> str:
    """As the floatformat:"-2" filter shows it (no decimals for whole numbers), with its unit."""
    return f"{floatformat(amount, '-2')} {unit}".rstrip()


def dispensed_row(dispense: Dispense) -> DispensedRow:
    prescription = dispense.prescription
    return DispensedRow(
        date=_date(timezone.localtime(dispense.handed_over_at)),
        pharmacy=dispense.pharmacy.name,
        url=reverse("prescriptions:detail", args=[prescription.public_id]),
        item=str(dispense.medication),
        substituted_for=str(prescription.medication) if dispense.substituted else "",
        quantity=quantity(dispense.quantity, prescription.quantity_unit),
        cancelled=dispense.status == Dispense.Status.CANCELLED,
    )


def dispensed_rows(dispenses) -> list[DispensedRow]:
    return [dispensed_row(dispense) for dispense in dispenses]
