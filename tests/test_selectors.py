"""The validity rules of DOMAIN.md, checked through the selectors on chosen dates (Europe/Oslo).

Subjects are built directly here; the pages (tests/test_pages.py) go through a real login.
"""

import datetime
import decimal
import itertools
import uuid
import zoneinfo

import pytest
import time_machine
from django.http import Http404

from prescriptions import selectors
from prescriptions.identity import make_synthetic
from prescriptions.models import AccessLogEntry, Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from prescriptions.selectors import HistoryReason
from prescriptions.subject import Subject

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
D = datetime.date(2025, 3, 10)  # the day "today" in most tests
_serial = itertools.count(1)


def day(offset: int) -> datetime.date:
    return D + datetime.timedelta(days=offset)


@pytest.fixture
def world(db):
    def person(given, individual):
        return Person.objects.create(
            national_id=make_synthetic(datetime.date(1983, 5, 17), individual),
            given_name=given, family_name="Testesen", birth_date=datetime.date(1983, 5, 17),
        )

    return {
        "anne": person("Anne", 100),
        "bodil": person("Bodil", 110),
        "drug": Medication.objects.create(code="t-cozaar", name="Cozaar", form="tablett", strength="50 mg",
                                          atc_code="C09CA01"),
        "generic": Medication.objects.create(code="t-losartan", name="Losartan Krka", form="tablett",
                                             strength="50 mg", atc_code="C09CA01"),
        "doctor": Practitioner.objects.create(hpr_number="9100001", name="Dr. Test"),
        "pharmacy": Pharmacy.objects.create(identifier="7080000000001", name="Testapoteket"),
    }


def rx(world, patient="anne", *, earliest=-30, expires=300, reit=0, status="active", **fields) -> Prescription:
    """A prescription issued on `earliest` (days from D), expiring on `expires` (days from D)."""
    return Prescription.objects.create(
        identifier=f"T-{next(_serial)}", patient=world[patient], medication=world["drug"],
        prescriber=world["doctor"], issued_on=day(earliest), earliest_dispense_on=day(earliest),
        expires_on=day(expires), reiterations=reit, quantity_per_dispense=decimal.Decimal("30"),
        status=status, **fields,
    )


def dispense(world, prescription, *, at=None, cancelled=False, item="drug") -> Dispense:
    return Dispense.objects.create(
        identifier=f"TD-{next(_serial)}", prescription=prescription, patient=prescription.patient,
        handed_over_at=at or datetime.datetime.combine(day(-5), datetime.time(12), OSLO),
        pharmacy=world["pharmacy"], medication=world[item], quantity=decimal.Decimal("30"),
        substituted=item != "drug",
        status=Dispense.Status.CANCELLED if cancelled else Dispense.Status.COMPLETED,
    )


def me(world, who="anne") -> Subject:
    return Subject(world[who], world[who], AccessLogEntry.Basis.SELF)


def valid_ids(subject, on):
    return [row.prescription.pk for row in selectors.valid_prescriptions(subject, on)]


def history(subject, on):
    return {row.prescription.pk: row.history_reason for row in selectors.history_prescriptions(subject, on)}


def upcoming_ids(subject, on):
    return [row.prescription.pk for row in selectors.upcoming_prescriptions(subject, on)]


# --- the window [earliest dispense date, expiry date], inclusive ---

def test_valid_from_the_earliest_dispense_date_not_the_day_before(world):
    p = rx(world, earliest=1, expires=100)
    subject = me(world)
    assert valid_ids(subject, day(0)) == []
    assert upcoming_ids(subject, day(0)) == [p.pk]
    assert p.pk not in history(subject, day(0))  # not yet valid is not history
    assert valid_ids(subject, day(1)) == [p.pk]
    assert upcoming_ids(subject, day(1)) == []


def test_valid_on_the_expiry_date_expired_the_day_after(world):
    p = rx(world, expires=0)
    subject = me(world)
    assert valid_ids(subject, day(0)) == [p.pk]
    assert history(subject, day(0)) == {}
    assert valid_ids(subject, day(1)) == []
    assert history(subject, day(1)) == {p.pk: HistoryReason.EXPIRED}


def test_single_day_prescription_is_valid_exactly_that_day(world):
    p = rx(world, earliest=0, expires=0)
    subject = me(world)
    assert valid_ids(subject, day(-1)) == []
    assert valid_ids(subject, day(0)) == [p.pk]
    assert valid_ids(subject, day(1)) == []


# --- remaining = 1 + reit − non-cancelled dispenses ---

def test_remaining_counts_dispenses_after_the_first_as_reiterations(world):
    p = rx(world, reit=3)
    dispense(world, p)
    (row,) = selectors.valid_prescriptions(me(world), day(0))
    assert (row.remaining, row.allowed) == (3, 4)


def test_cancelled_dispenses_do_not_count(world):
    p = rx(world, reit=0)
    dispense(world, p, cancelled=True)
    dispense(world, p, cancelled=True)
    (row,) = selectors.valid_prescriptions(me(world), day(0))
    assert (row.remaining, row.allowed) == (1, 1)


def test_last_dispense_used_moves_it_to_history_as_used_up(world):
    p = rx(world, reit=1)
    dispense(world, p)
    assert valid_ids(me(world), day(0)) == [p.pk]
    dispense(world, p)
    assert valid_ids(me(world), day(0)) == []
    assert history(me(world), day(0)) == {p.pk: HistoryReason.USED_UP}
    (row,) = selectors.history_prescriptions(me(world), day(0))
    assert row.remaining == 0


def test_more_dispenses_than_allowed_never_shows_negative_remaining(world):
    p = rx(world, reit=0)
    dispense(world, p)
    dispense(world, p)
    (row,) = selectors.history_prescriptions(me(world), day(0))
    assert row.remaining == 0 and row.history_reason == HistoryReason.USED_UP


# --- status ---

def test_cancelled_prescription_is_history_even_inside_its_dates(world):
    p = rx(world, status=Prescription.Status.CANCELLED)
    assert valid_ids(me(world), day(0)) == []
    assert upcoming_ids(me(world), day(0)) == []
    assert history(me(world), day(0)) == {p.pk: HistoryReason.CANCELLED}


def test_completed_prescription_is_history_as_used_up(world):
    p = rx(world, reit=5, status=Prescription.Status.COMPLETED)
    assert valid_ids(me(world), day(0)) == []
    assert history(me(world), day(0)) == {p.pk: HistoryReason.USED_UP}


def test_each_prescription_is_in_exactly_one_place(world):
    made = [
        rx(world),  # valid
        rx(world, earliest=3),  # upcoming
        rx(world, expires=-1),  # expired
        rx(world, status="cancelled"),
        rx(world, status="completed"),
    ]
    used = rx(world)
    dispense(world, used)
    made.append(used)
    subject = me(world)
    places = valid_ids(subject, day(0)) + upcoming_ids(subject, day(0)) + list(history(subject, day(0)))
    assert sorted(places) == sorted(p.pk for p in made)


# --- "expires within 30 days" ---

@pytest.mark.parametrize(("expires", "marked"), [(0, True), (29, True), (30, True), (31, False), (300, False)])
def test_expiry_warning_covers_the_next_30_days(world, expires, marked):
    rx(world, expires=expires)
    (row,) = selectors.valid_prescriptions(me(world), day(0))
    assert row.expires_soon is marked


def test_history_rows_carry_no_expiry_warning(world):
    rx(world, expires=-1)
    (row,) = selectors.history_prescriptions(me(world), day(0))
    assert row.expires_soon is False


# --- whose prescriptions ---

def test_someone_elses_prescriptions_are_never_listed(world):
    mine = rx(world, "anne")
    theirs = rx(world, "bodil")
    dispense(world, theirs)
    assert valid_ids(me(world, "anne"), day(0)) == [mine.pk]
    assert list(selectors.dispenses(me(world, "anne"))) == []


def test_detail_of_someone_elses_or_an_unknown_prescription_is_404(world):
    theirs = rx(world, "bodil")
    with pytest.raises(Http404):
        selectors.prescription_detail(me(world, "anne"), theirs.public_id, day(0))
    with pytest.raises(Http404):
        selectors.prescription_detail(me(world, "anne"), uuid.uuid4(), day(0))
    with pytest.raises(Http404):
        selectors.prescription_detail(me(world, "anne"), "not-a-uuid", day(0))


def test_detail_lists_all_dispenses_newest_first_including_cancelled(world):
    p = rx(world, reit=2)
    old = dispense(world, p, at=datetime.datetime(2025, 1, 5, 12, tzinfo=OSLO))
    new = dispense(world, p, at=datetime.datetime(2025, 2, 5, 12, tzinfo=OSLO), item="generic")
    void = dispense(world, p, at=datetime.datetime(2025, 2, 1, 12, tzinfo=OSLO), cancelled=True)
    row, dispenses = selectors.prescription_detail(me(world), p.public_id, day(0))
    assert [d.pk for d in dispenses] == [new.pk, void.pk, old.pk]
    assert row.remaining == 1 and row.history_reason is None


def test_guardian_reserved_prescriptions_are_hidden_from_a_parent_of_a_12_to_15_year_old(world):
    reserved = rx(world, "bodil", reit=1, guardian_reserved=True)
    dispense(world, reserved)
    open_one = rx(world, "bodil")
    parent_view = Subject(world["bodil"], world["anne"], AccessLogEntry.Basis.PARENT, hide_guardian_reserved=True)
    assert valid_ids(parent_view, day(0)) == [open_one.pk]
    assert list(selectors.dispenses(parent_view)) == []
    with pytest.raises(Http404):
        selectors.prescription_detail(parent_view, reserved.public_id, day(0))
    assert sorted(valid_ids(me(world, "bodil"), day(0))) == sorted([reserved.pk, open_one.pk])


def test_locked_reference_is_for_the_patients_eyes_only(world):
    rx(world, locked=True, locked_reference="LR-1")
    (own,) = selectors.valid_prescriptions(me(world), day(0))
    assert own.show_locked_reference is True
    holder = Subject(world["anne"], world["bodil"], AccessLogEntry.Basis.POWER_OF_ATTORNEY)
    (proxy,) = selectors.valid_prescriptions(holder, day(0))
    assert proxy.show_locked_reference is False


# --- dispenses: newest first, period in Oslo dates ---

def test_dispenses_newest_first(world):
    p = rx(world, reit=5)
    times = [datetime.datetime(2025, 1, d, 9, tzinfo=OSLO) for d in (3, 20, 11)]
    made = [dispense(world, p, at=t) for t in times]
    assert [d.pk for d in selectors.dispenses(me(world))] == [made[1].pk, made[2].pk, made[0].pk]


def test_period_filter_uses_the_oslo_date_of_the_hand_over(world):
    p = rx(world, reit=5)
    # 23:30 in Oslo on 9 March is 22:30 UTC the same day; 00:30 on 10 March is 23:30 UTC on 9 March.
    late = dispense(world, p, at=datetime.datetime(2025, 3, 9, 23, 30, tzinfo=OSLO))
    early = dispense(world, p, at=datetime.datetime(2025, 3, 10, 0, 30, tzinfo=OSLO))
    subject = me(world)
    assert [d.pk for d in selectors.dispenses(subject, start=day(-1), end=day(-1))] == [late.pk]
    assert [d.pk for d in selectors.dispenses(subject, start=day(0), end=day(0))] == [early.pk]
    assert [d.pk for d in selectors.dispenses(subject, start=day(0))] == [early.pk]
    assert [d.pk for d in selectors.dispenses(subject, end=day(-1))] == [late.pk]


# --- the day D is the Oslo date, turning at midnight Oslo time ---

@pytest.mark.parametrize(
    ("utc", "oslo_date"),
    [
        # Winter (UTC+1): midnight in Oslo is 23:00 UTC the day before.
        (datetime.datetime(2025, 1, 31, 22, 59, 59), datetime.date(2025, 1, 31)),
        (datetime.datetime(2025, 1, 31, 23, 0, 0), datetime.date(2025, 2, 1)),
        # Summer (UTC+2): midnight in Oslo is 22:00 UTC the day before.
        (datetime.datetime(2025, 6, 30, 21, 59, 59), datetime.date(2025, 6, 30)),
        (datetime.datetime(2025, 6, 30, 22, 0, 0), datetime.date(2025, 7, 1)),
    ],
)
def test_today_is_the_oslo_date(utc, oslo_date):
    with time_machine.travel(utc.replace(tzinfo=datetime.UTC), tick=False):
        assert selectors.today() == oslo_date


def test_a_prescription_expires_at_midnight_oslo_time(world):
    p = rx(world, earliest=-30, expires=0)  # expires on 10 March 2025 (winter, UTC+1)
    midnight = datetime.datetime(2025, 3, 11, 0, 0, tzinfo=OSLO)
    with time_machine.travel(midnight - datetime.timedelta(seconds=1), tick=False):
        assert valid_ids(me(world), selectors.today()) == [p.pk]
    with time_machine.travel(midnight, tick=False):
        assert valid_ids(me(world), selectors.today()) == []
        assert history(me(world), selectors.today()) == {p.pk: HistoryReason.EXPIRED}


def test_a_prescription_becomes_dispensable_at_midnight_oslo_time(world):
    p = rx(world, earliest=1, expires=100)  # from 11 March 2025
    midnight = datetime.datetime(2025, 3, 11, 0, 0, tzinfo=OSLO)
    with time_machine.travel(midnight - datetime.timedelta(seconds=1), tick=False):
        today = selectors.today()
        assert (valid_ids(me(world), today), upcoming_ids(me(world), today)) == ([], [p.pk])
    with time_machine.travel(midnight, tick=False):
        today = selectors.today()
        assert (valid_ids(me(world), today), upcoming_ids(me(world), today)) == ([p.pk], [])


def test_current_prescriptions_splits_valid_and_upcoming_like_the_separate_selectors(world):
    rx(world, expires=20)
    rx(world, earliest=2)
    rx(world, earliest=1, expires=5)
    rx(world, expires=-1)
    subject = me(world)
    valid, upcoming = selectors.current_prescriptions(subject, day(0))
    assert [r.prescription.pk for r in valid] == valid_ids(subject, day(0))
    assert [r.prescription.pk for r in upcoming] == upcoming_ids(subject, day(0))
    assert len(valid) == 1 and len(upcoming) == 2
