"""Norwegian identity numbers. Plain pytest: no Django, no database.

Apart from the two published examples, every number here is synthetic
(month+80 or month+40) so no test can name a real person.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from prescriptions.identity import (
    IdentityNumber,
    InvalidIdentityNumber,
    birth_date_matches,
    check_digits,
    is_valid,
    make_synthetic,
    mask,
    parse,
)

EXAMPLES = {
    "31129956715": datetime.date(1899, 12, 31),
    "02013299997": datetime.date(2032, 1, 2),
}

# Independent of the module on purpose: a shared bug in the weights would otherwise pass.
K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11


def with_classic_check_digits(first9: str) -> str:
    digits = check_digits(first9)
    assert digits is not None, "pick another individual number for this test"
    return f"{first9}{digits[0]}{digits[1]}"


def single_digit_changes(value: str) -> list[str]:
    return [
        value[:i] + d + value[i + 1 :]
        for i in range(len(value))
        for d in "0123456789"
        if d != value[i]
    ]


birth_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2039, 12, 31))
synthetic_numbers = st.builds(
    make_synthetic,
    birth_dates,
    # Starting at most at 450 always leaves enough room in every century's range.
    st.integers(0, 450),
    tenor=st.booleans(),
    d_number=st.booleans(),
)


# --- published examples ---------------------------------------------------


@pytest.mark.parametrize(("value", "born"), EXAMPLES.items())
def test_published_examples_are_valid(value: str, born: datetime.date) -> None:
    number = parse(value)
    assert number.value == value == str(number)
    assert number.kind == "fnr"
    assert not number.new_scheme
    assert not number.is_synthetic()
    assert number.birth_date() == born
    assert check_digits(value[:9]) == (int(value[9]), int(value[10]))
    assert is_valid(value)


@pytest.mark.parametrize("value", EXAMPLES)
def test_every_single_digit_change_of_an_example_is_rejected(value: str) -> None:
    assert [c for c in single_digit_changes(value) if is_valid(c)] == []


@given(synthetic_numbers)
def test_every_single_digit_change_of_a_synthetic_number_is_rejected(value: str) -> None:
    assert not any(is_valid(changed) for changed in single_digit_changes(value))


# --- parsing ----------------------------------------------------------------


@pytest.mark.parametrize("raw", [" 31129956715\n", "311299 56715", " 3112 9956 715 "])
def test_parse_ignores_surrounding_whitespace_and_inner_spaces(raw: str) -> None:
    assert parse(raw).value == "31129956715"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "11 digits"),
        ("3112995671", "11 digits"),
        ("311299567150", "11 digits"),
        ("3112995671x", "11 digits"),
        ("31129956715\n0", "11 digits"),
        ("311299-56715", "11 digits"),
        ("٣١١٢٩٩٥٦٧١٥", "11 digits"),  # Arabic-Indic digits are digits, but not ours
        ("31129956716", "check digits"),
        (with_classic_check_digits("308200100"), "date"),  # 30 February
        (with_classic_check_digits("298200100"), "date"),  # 29 Feb 1900: not a leap year
        (with_classic_check_digits("019300100"), "date"),  # month 93 - 80 = 13
        (with_classic_check_digits("328100102"), "date"),  # day 32
    ],
)
def test_parse_rejects_with_reason_that_hides_the_number(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentityNumber, match=reason) as excinfo:
        parse(raw)
    assert isinstance(excinfo.value, ValueError)
    if raw.strip():
        assert raw.strip() not in str(excinfo.value)
    assert not is_valid(raw)


def test_leap_day_century_comes_from_the_individual_number() -> None:
    # YY=00 with 500-999 is 2000 (a leap year), with 000-499 it is 1900 (not).
    assert parse(with_classic_check_digits("298200500")).birth_date() == datetime.date(2000, 2, 29)
    assert not is_valid(with_classic_check_digits("298200100"))


@pytest.mark.parametrize(
    ("yy_individual", "year"),
    [
        ("00499", 1900),
        ("00500", 2000),
        ("39900", 2039),
        ("40499", 1940),
        ("40900", 1940),
        ("53600", None),
        ("53749", None),
        ("54600", 1854),
        ("99750", None),
        ("99899", None),
    ],
)
def test_century_boundaries(yy_individual: str, year: int | None) -> None:
    number = parse(with_classic_check_digits("0181" + yy_individual))
    expected = None if year is None else datetime.date(year, 1, 1)
    assert number.birth_date() == expected


def test_unissued_individual_range_is_valid_but_has_no_birth_date() -> None:
    # 500-749 with YY 40-53 maps to no century.
    number = parse(with_classic_check_digits("018145600"))
    assert number.birth_date() is None
    assert birth_date_matches(number, datetime.date(1945, 1, 1))


@pytest.mark.parametrize("garbage", [None, 31129956715, b"31129956715"])
def test_non_strings_are_invalid_not_crashes(garbage: object) -> None:
    assert not is_valid(garbage)  # type: ignore[arg-type]
    assert mask(garbage) == "*****"  # type: ignore[arg-type]


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_random_eleven_digits_only_raise_invalid_identity_number(value: str) -> None:
    try:
        number = parse(value)
    except InvalidIdentityNumber as e:
        assert value not in str(e)
    else:
        assert number.value == value
        number.birth_date()


@given(st.text())
def test_random_text_only_raises_invalid_identity_number(value: str) -> None:
    try:
        parse(value)
    except InvalidIdentityNumber:
        pass
    mask(value)


# --- kinds and synthetic numbers ------------------------------------------


def test_tenor_synthetic_round_trip() -> None:
    born = datetime.date(1984, 5, 17)
    value = make_synthetic(born, 100)
    assert value[:6] == "178584"
    number = parse(value)
    assert number.kind == "synthetic"
    assert number.is_synthetic()
    assert number.birth_date() == born
    assert number.masked() == "178584 *****"


def test_d_number_round_trip() -> None:
    born = datetime.date(2011, 3, 9)
    value = make_synthetic(born, 0, d_number=True)
    assert value[:6] == "498311"
    assert 500 <= int(value[6:9]) <= 999  # 2000s range, searched upward from 0
    number = parse(value)
    # The month offset decides the kind so test data is never mistaken for a person.
    assert number.kind == "synthetic"
    assert number.birth_date() == born


def test_plus_forty_scheme_is_hnr_and_synthetic() -> None:
    born = datetime.date(1955, 12, 1)
    number = parse(make_synthetic(born, 0, tenor=False))
    assert number.value[:6] == "015255"
    assert number.kind == "hnr"
    assert number.is_synthetic()
    assert number.birth_date() == born


def test_make_synthetic_refuses_impossible_requests() -> None:
    with pytest.raises(ValueError):
        make_synthetic(datetime.date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_synthetic(datetime.date(1990, 1, 1), -1)
    with pytest.raises(ValueError):
        make_synthetic(datetime.date(2040, 1, 1), 0)
    with pytest.raises(ValueError):
        make_synthetic(datetime.date(1853, 1, 1), 600)
    # 1900-1939 only uses 000-499, so nothing is left above 499.
    with pytest.raises(ValueError):
        make_synthetic(datetime.date(1920, 1, 1), 500)


def test_make_synthetic_skips_individual_numbers_without_check_digits() -> None:
    born = datetime.date(1984, 5, 17)
    start = next(i for i in range(500) if check_digits(f"178584{i:03d}") is None)
    value = make_synthetic(born, start)
    assert int(value[6:9]) > start
    assert is_valid(value)


@given(birth_dates, st.integers(0, 450), st.booleans(), st.booleans())
def test_make_synthetic_always_parses_to_the_same_birth_date(
    born: datetime.date, individual: int, tenor: bool, d_number: bool
) -> None:
    number = parse(make_synthetic(born, individual, tenor=tenor, d_number=d_number))
    assert int(number.value[6:9]) >= individual
    assert number.is_synthetic()
    assert not number.new_scheme
    assert number.kind == ("synthetic" if tenor else "hnr")
    assert number.birth_date() == born
    assert birth_date_matches(number, born)
    assert not birth_date_matches(number, born + datetime.timedelta(days=1))


# --- masking -------------------------------------------------------------


@given(synthetic_numbers)
def test_masked_never_reveals_the_last_five_digits(value: str) -> None:
    number = parse(value)
    masked = number.masked()
    assert masked == mask(value) == f"{value[:6]} *****"
    # Only the six date digits survive; a substring check would be fooled by repeated digits.
    assert sum(c.isdigit() for c in masked) == 6
    assert value[6:] not in repr(number)


@pytest.mark.parametrize("garbage", ["", "abc", "1234", "311299567150", "31129956715x"])
def test_mask_of_garbage_is_only_asterisks(garbage: str) -> None:
    assert mask(garbage) == "*****"


# --- 2032 check-digit scheme ---------------------------------------------


@given(birth_dates, st.integers(0, 999), st.sampled_from([12, 13, 14]))
def test_new_scheme_numbers_validate_without_birth_date(
    born: datetime.date, individual: int, base: int
) -> None:
    first9 = f"{born.day:02d}{born.month + 80:02d}{born.year % 100:02d}{individual:03d}"
    k1 = (base - remainder(first9, K1_WEIGHTS)) % 11
    assume(k1 != 10)
    k2 = (11 - remainder(first9 + str(k1), K2_WEIGHTS)) % 11
    assume(k2 != 10)
    value = f"{first9}{k1}{k2}"

    assert check_digits(first9) != (k1, k2)  # not valid under the classic scheme
    number = parse(value)
    assert number.new_scheme
    assert number.birth_date() is None
    assert birth_date_matches(number, datetime.date(1970, 1, 1))
    assert number.kind == "synthetic"
    assert is_valid(value)


def test_identity_number_is_immutable() -> None:
    number = parse("31129956715")
    with pytest.raises(AttributeError):
        number.value = "02013299997"  # type: ignore[misc]
    assert number == IdentityNumber("31129956715", "fnr", False)
