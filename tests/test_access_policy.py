"""proxies.access as the pure function it is: plain objects and a date, no database, no requests."""

import datetime

import pytest

from prescriptions.models import Person
from proxies import access
from proxies.access import PoaState, Refusal
from proxies.models import ParentalResponsibility, PowerOfAttorney

DAY = datetime.date(2027, 3, 14)
_pk = iter(range(1, 10_000))


def person(age_days=None, *, years=40, protected="", died=None):
    birth = DAY.replace(year=DAY.year - years) if age_days is None else DAY - datetime.timedelta(days=age_days)
    return Person(pk=next(_pk), given_name="P", family_name="Q", birth_date=birth, protected_address=protected,
                  date_of_death=died)


def poa(grantor, holder, starts=DAY, ends=None, ended=False):
    return PowerOfAttorney(pk=next(_pk), grantor=grantor, holder=holder, starts_on=starts, ends_on=ends,
                           ended_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC) if ended else None)


@pytest.mark.parametrize("grantor_kw, holder_kw, same, expected", [
    ({}, {}, False, None),
    ({}, {}, True, Refusal.SELF),
    ({"years": 16}, {"years": 18}, False, None),  # exactly the minimum ages, on the birthdays
    ({"years": 15}, {}, False, Refusal.GRANTOR_TOO_YOUNG),
    ({}, {"years": 17}, False, Refusal.HOLDER_TOO_YOUNG),
    ({"protected": "7"}, {}, False, Refusal.GRANTOR_PROTECTED),
    ({}, {"protected": "6"}, False, Refusal.HOLDER_PROTECTED),
    ({"died": DAY}, {}, False, Refusal.GRANTOR_DECEASED),
    ({}, {"died": DAY}, False, Refusal.HOLDER_DECEASED),
    ({}, {"died": DAY + datetime.timedelta(days=1)}, False, None),  # alive until the day of death
])
def test_poa_refusal(grantor_kw, holder_kw, same, expected):
    grantor = person(**grantor_kw)
    holder = grantor if same else person(**holder_kw)
    assert access.poa_refusal(grantor, holder, DAY) == expected


@pytest.mark.parametrize("starts, ends, ended, expected", [
    (DAY, None, False, PoaState.IN_FORCE),
    (DAY + datetime.timedelta(days=1), None, False, PoaState.UPCOMING),
    (DAY - datetime.timedelta(days=9), DAY, False, PoaState.IN_FORCE),  # the last day is in force
    (DAY - datetime.timedelta(days=9), DAY - datetime.timedelta(days=1), False, PoaState.RAN_OUT),
    (DAY - datetime.timedelta(days=9), None, True, PoaState.ENDED),
    (DAY + datetime.timedelta(days=3), None, True, PoaState.ENDED),
])
def test_poa_state(starts, ends, ended, expected):
    p = poa(person(), person(), starts, ends, ended)
    assert access.poa_state(p, DAY) == expected
    assert access.poa_in_force(p, DAY) == (expected == PoaState.IN_FORCE)
    assert access.poa_is_current(p, DAY) == (expected in (PoaState.IN_FORCE, PoaState.UPCOMING))


def test_options_lists_self_first_then_children_under_16_then_grantors():
    me = person()
    ola, emma, jonas = person(years=9), person(years=14), person(years=16)
    per, astrid = person(years=81), person(years=67)
    links = [ParentalResponsibility(parent=me, child=c) for c in (ola, emma, jonas)]
    powers = [poa(per, me, DAY - datetime.timedelta(days=400)),
              poa(astrid, me, DAY - datetime.timedelta(days=300), DAY - datetime.timedelta(days=10))]
    choices = access.options(me, links, powers, DAY)
    assert [(c.person, c.basis, c.hide_guardian_reserved) for c in choices] == [
        (me, "self", False), (ola, "parent", False), (emma, "parent", True), (per, "poa", False),
    ]
    assert access.decide(me, jonas.pk, DAY, links, powers) is None
    assert access.decide(me, emma.pk, DAY, links, powers).hide_guardian_reserved


def test_a_power_held_by_someone_else_is_never_a_choice():
    me, other, grantor = person(), person(), person()
    assert access.options(me, [], [poa(grantor, other)], DAY) == [access.Choice(me, "self")]


def test_a_deceased_viewer_has_no_choices_at_all():
    me = person(died=DAY - datetime.timedelta(days=1))
    assert access.options(me, [], [], DAY) == []
