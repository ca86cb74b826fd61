"""Norwegian national identity numbers (fødselsnummer, D-number, H-number, synthetic).

Layout: DDMMYY III K1 K2. The number is personal data: nothing in this module
puts it into an exception message or a repr, so it cannot leak into logs.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = [
    "IdentityNumber",
    "InvalidIdentityNumber",
    "birth_date_matches",
    "check_digits",
    "is_valid",
    "make_synthetic",
    "mask",
    "parse",
]

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
# From 2032 the K1 sum may leave a remainder 0-3 instead of only 0.
_NEW_SCHEME_K1_BASES = (12, 13, 14)
# `\d` would also accept non-ASCII digits that int() then rejects.
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")
_MASK = "*****"


class InvalidIdentityNumber(ValueError):
    """str(e) is a short English reason and never contains the number."""


def _remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


def check_digits(first9: str) -> tuple[int, int] | None:
    """Classic-scheme (K1, K2) for the first nine digits; None if either would be 10."""
    if not re.fullmatch(r"[0-9]{9}", first9):
        raise ValueError("expected exactly nine digits")
    k1 = (11 - _remainder(first9, _K1_WEIGHTS)) % 11
    if k1 == 10:
        return None
    k2 = (11 - _remainder(first9 + str(k1), _K2_WEIGHTS)) % 11
    if k2 == 10:
        return None
    return k1, k2


def _century(individual: int, yy: int) -> int | None:
    if individual <= 499:
        return 1900
    if individual <= 749 and yy >= 54:
        return 1800
    if yy <= 39:
        return 2000
    if individual >= 900:
        return 1900
    # 500-899 with YY 40-53 and 750-899 with YY >= 54 were never issued: no century.
    return None


def _date_parts(value: str) -> tuple[int, int, int, int, int]:
    """(day, month, yy, day offset, month offset) with the D/H/synthetic offsets removed."""
    day, month, yy = int(value[0:2]), int(value[2:4]), int(value[4:6])
    day_offset = 40 if day > 40 else 0
    month_offset = 80 if month > 80 else 40 if month > 40 else 0
    return day - day_offset, month - month_offset, yy, day_offset, month_offset


def _real_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True, repr=False)
class IdentityNumber:
    value: str
    kind: str  # "fnr", "dnr", "hnr" (H-number / month+40 test scheme), "synthetic" (Tenor month+80)
    new_scheme: bool  # only valid under the 2032 check-digit scheme

    def birth_date(self) -> datetime.date | None:
        if self.new_scheme:
            return None
        day, month, yy, _, _ = _date_parts(self.value)
        century = _century(int(self.value[6:9]), yy)
        if century is None:
            return None
        return _real_date(century + yy, month, day)

    def is_synthetic(self) -> bool:
        # month+40 is also a real H-number; treat it as test data so it is never trusted as a person.
        return _date_parts(self.value)[4] in (40, 80)

    def masked(self) -> str:
        return mask(self.value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"IdentityNumber({self.masked()!r}, kind={self.kind!r}, new_scheme={self.new_scheme!r})"


def _normalize(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    compact = value.strip().replace(" ", "")
    return compact if _ELEVEN_DIGITS.fullmatch(compact) else None


def parse(value: str) -> IdentityNumber:
    digits = _normalize(value)
    if digits is None:
        raise InvalidIdentityNumber("must be exactly 11 digits")

    r1 = _remainder(digits[:9], _K1_WEIGHTS)
    k1, k2 = int(digits[9]), int(digits[10])
    # K2 is the same in both schemes; a K1 or K2 "computed 10" never matches a digit.
    if k2 != (11 - _remainder(digits[:10], _K2_WEIGHTS)) % 11:
        raise InvalidIdentityNumber("check digits do not match")
    if k1 == (11 - r1) % 11:
        new_scheme = False
    elif k1 in {(base - r1) % 11 for base in _NEW_SCHEME_K1_BASES}:
        new_scheme = True
    else:
        raise InvalidIdentityNumber("check digits do not match")

    day, month, yy, day_offset, month_offset = _date_parts(digits)
    century = None if new_scheme else _century(int(digits[6:9]), yy)
    # Without a derivable century (2032 scheme, unissued ranges) any century may make the date real.
    centuries = (century,) if century is not None else (1800, 1900, 2000)
    if not any(_real_date(c + yy, month, day) for c in centuries):
        raise InvalidIdentityNumber("date part is not a valid date")

    if month_offset == 80:
        kind = "synthetic"
    elif month_offset == 40:
        kind = "hnr"
    elif day_offset == 40:
        kind = "dnr"
    else:
        kind = "fnr"
    return IdentityNumber(value=digits, kind=kind, new_scheme=new_scheme)


def is_valid(value: str) -> bool:
    try:
        parse(value)
    except InvalidIdentityNumber:
        return False
    return True


def make_synthetic(
    birth: datetime.date, individual: int, *, tenor: bool = True, d_number: bool = False
) -> str:
    """A valid synthetic number: month+80 (Tenor) or month+40, optionally day+40 (D-number).

    Individual numbers are tried upward from `individual`, skipping those that
    encode a different century, until the classic check digits exist.
    """
    if not 0 <= individual <= 999:
        raise ValueError("individual number must be 0-999")
    if not 1854 <= birth.year <= 2039:
        raise ValueError("birth year must be 1854-2039")
    day = birth.day + (40 if d_number else 0)
    month = birth.month + (80 if tenor else 40)
    yy = birth.year % 100
    century = birth.year - yy
    prefix = f"{day:02d}{month:02d}{yy:02d}"
    for candidate in range(individual, 1000):
        if _century(candidate, yy) != century:
            continue
        first9 = f"{prefix}{candidate:03d}"
        digits = check_digits(first9)
        if digits is not None:
            return f"{first9}{digits[0]}{digits[1]}"
    raise ValueError("no individual number with valid check digits for this date")


def birth_date_matches(number: IdentityNumber, birth: datetime.date) -> bool:
    """Cross-check a registry birth date; numbers that encode no date cannot contradict it."""
    derived = number.birth_date()
    return derived is None or derived == birth


def mask(value: str) -> str:
    """First six digits plus " *****" if shaped like a number, else "*****"; never raises."""
    digits = _normalize(value)
    return _MASK if digits is None else f"{digits[:6]} {_MASK}"
