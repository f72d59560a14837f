"""The Unique Pupil Number: its format and check letter (DOMAIN.md, "Unique Pupil Number").

A UPN is 13 characters: a check letter, the LA number (3 digits), the
establishment number (4), the last two digits of the year of issue (2), then
3 digits for a permanent UPN or 2 digits and a letter for a temporary one.
"""

from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_FORMAT = re.compile(rf"^[{CHECK_LETTERS}]\d{{11}}[0-9{CHECK_LETTERS}]$")


def check_letter(body: str) -> str:
    """The check letter for the 12 characters that follow it (positions 2 to 13)."""
    if len(body) != 12:
        raise ValueError("a UPN body is 12 characters")
    total = 0
    for position, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += value * position
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why ``upn`` is not a valid UPN, in words a teacher understands; None when it is valid."""
    if len(upn) != 13:
        return "a UPN is 13 characters long"
    if not _FORMAT.match(upn):
        return ("a UPN is a check letter, 11 digits, then a digit "
                "(or a letter for a temporary UPN)")
    if check_letter(upn[1:]) != upn[0]:
        return "the UPN's check letter does not match its digits"
    return None


def is_valid_upn(upn: str) -> bool:
    return upn_problem(upn) is None


def make_upn(la: int, establishment: int, year: int, serial: int) -> str:
    """A permanent UPN with a correct check letter (used by the simulator's generator)."""
    body = f"{la:03d}{establishment:04d}{year % 100:02d}{serial % 1000:03d}"
    return check_letter(body) + body
