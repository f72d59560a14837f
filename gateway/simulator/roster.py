"""The people of a generated school: every pupil who is on roll in the current or the previous year.

Pupils are generated once per school as cohorts (the academic year in which a
cohort is in Year 7), so that one pupil keeps one id, name and UPN across both
years the simulator serves: this year's Year 10 is last year's Year 9, last
year's Year 13 has left, and only some Year 11s stay on into the sixth form.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from gateway.shared.upn import make_upn
from gateway.simulator import names
from gateway.simulator.calendar import build_calendar, year_bounds
from gateway.simulator.profiles import SchoolProfile

#: The share of a Year 11 cohort that stays on into Year 12.
STAY_ON = 0.45
STUDENT_ID_BASE = 100_000


@dataclass(slots=True)
class Person:
    """One pupil, as the school's MIS knows them (independent of any academic year)."""

    id: int
    cohort: int  # the academic year in which this pupil is (or was) in Year 7
    stays_sixth: bool
    sex: str
    legal_first_name: str
    legal_last_name: str
    preferred_first_name: str
    preferred_last_name: str
    middle_names: str | None
    dob: dt.date
    mis_id: str
    upn: str
    former_upn: str | None
    background: names.Background
    eal: bool
    admission: dt.date
    leaving: dt.date | None = None
    ability: float = 0.5  # 0..1: drives marks, grades and prior attainment
    absence: float = 0.05  # chance of missing a session
    conduct: float = 1.0  # relative chance of being in a behaviour event
    sen: str = "N"  # N none, K SEN support, E EHC plan
    flags: dict[str, bool] = field(default_factory=dict)  # fsm, lookedAfter, ...
    assembly_id: int = 0

    def nc_year(self, year: int) -> int:
        return 7 + year - self.cohort

    def on_roll_in(self, year: int) -> bool:
        nc = self.nc_year(year)
        if nc < 7 or nc > 13 or (nc > 11 and not self.stays_sixth):
            return False
        first, last = year_bounds(year)
        return self.admission <= last and (self.leaving is None or self.leaving >= first)

    def on_roll_on(self, day: dt.date) -> bool:
        return self.admission <= day and (self.leaving is None or day <= self.leaving)


class _UpnMaker:
    """Valid, unique UPNs issued by the feeder primaries in the year a cohort started Reception."""

    def __init__(self, profile: SchoolProfile, rng: random.Random) -> None:
        self._profile = profile
        self._rng = rng
        self._used: set[str] = set()

    def make(self, issued: int, *, away: bool = False) -> str:
        while True:
            la = self._profile.la + (self._rng.randint(1, 40) if away else 0)
            estab = self._rng.choice(self._profile.feeders)
            upn = make_upn(la, estab, issued, self._rng.randint(1, 999))
            if upn not in self._used:
                self._used.add(upn)
                return upn


def cohort_sizes(students: int) -> tuple[list[int], int, int]:
    """(sizes of the current Years 7..11, sixth-form size per year, Year 11 leavers last year)."""
    sixth = round(students * STAY_ON / (5 + 2 * STAY_ON))
    rest = max(students - 2 * sixth, 0)
    main = [rest // 5 + (1 if i < rest % 5 else 0) for i in range(5)]
    left_after_11 = round(sixth * (1 - STAY_ON) / STAY_ON)
    return main, sixth, left_after_11


def _dob(rng: random.Random, cohort: int) -> dt.date:
    # Year 7 in academic year c: aged 11 on 31 August of c-1, so born Sept c-13 to Aug c-12.
    start = dt.date(cohort - 13, 9, 1)
    return start + dt.timedelta(days=rng.randrange((dt.date(cohort - 12, 9, 1) - start).days))


def _pick_background(rng: random.Random) -> names.Background:
    return rng.choices(names.BACKGROUNDS, weights=[b.weight for b in names.BACKGROUNDS])[0]


def _person(rng: random.Random, pid: int, cohort: int, stays: bool, upns: _UpnMaker,
            mis_id: str) -> Person:
    bg = _pick_background(rng)
    sex = rng.choice("MF")
    first = rng.choice(bg.boys if sex == "M" else bg.girls)
    last = rng.choice(bg.surnames)
    middle = rng.choice(names.MIDDLE_BOYS if sex == "M" else names.MIDDLE_GIRLS) \
        if rng.random() < 0.55 else None
    preferred_first = names.NICKNAMES.get(first, first) if rng.random() < 0.12 else first
    preferred_last = last
    if rng.random() < 0.02:  # known by a step-parent's surname, say
        preferred_last = rng.choice(names.BACKGROUNDS[0].surnames)
    away = rng.random() < 0.04  # started school in another local authority
    upn = upns.make(cohort - 8, away=away)
    former = upns.make(cohort - 8, away=True) if rng.random() < 0.02 else None
    ability = min(max(rng.gauss(0.55, 0.2), 0.02), 0.99)
    p = Person(
        id=pid, cohort=cohort, stays_sixth=stays, sex=sex, legal_first_name=first,
        legal_last_name=last, preferred_first_name=preferred_first,
        preferred_last_name=preferred_last, middle_names=middle, dob=_dob(rng, cohort),
        mis_id=mis_id, upn=upn, former_upn=former, background=bg,
        eal=bg.eal is not None and rng.random() < 0.55,
        admission=dt.date(cohort - 1, 9, 1), ability=ability,
        absence=min(rng.expovariate(1 / 0.045), 0.5), conduct=rng.expovariate(1.0),
        sen=rng.choices("NKE", weights=(84, 13, 3))[0])
    fsm = rng.random() < 0.2
    looked_after = rng.random() < 0.01
    service = rng.random() < 0.02
    ever6 = fsm or rng.random() < 0.08
    p.flags = {"fsm": fsm, "fsmEver6": ever6, "lookedAfter": looked_after,
               "everInCare": looked_after or rng.random() < 0.01, "serviceChild": service,
               "pupilPremium": ever6 or looked_after or service, "gifted": rng.random() < 0.08}
    return p


def build_persons(profile: SchoolProfile, seed: int, current_year: int, students: int,
                  today: dt.date) -> list[Person]:
    """Everyone on roll this year or last year, ids in order of arrival (oldest cohorts first)."""
    rng = random.Random(f"{seed}|{profile.salt}|persons")
    upns = _UpnMaker(profile, rng)
    main, sixth, left_after_11 = cohort_sizes(students)
    y = current_year
    # (cohort, stays into the sixth form, how many), oldest first.
    plan: list[tuple[int, bool, int]] = [(y - 7, True, sixth), (y - 6, True, sixth),
                                         (y - 5, True, sixth), (y - 5, False, left_after_11)]
    for i, size in enumerate(main):  # Year 11 (cohort y-4) first, Year 7 (cohort y) last
        plan.append((y - 4 + i, False, size))
    persons: list[Person] = []
    for cohort, stays, size in plan:
        for _ in range(size):
            pid = profile.id_offset + STUDENT_ID_BASE + len(persons) + 1
            mis = str(10_000 + len(persons) + 1)
            persons.append(_person(rng, pid, cohort, stays, upns, mis))
    _leavers_and_joiners(rng, persons, current_year, today)
    order = list(range(len(persons)))
    rng.shuffle(order)  # Assembly numbers pupils its own way: same people, other ids
    for person, n in zip(persons, order, strict=True):
        person.assembly_id = profile.assembly_id_offset + 1 + n
    return persons


def _open_days(year: int) -> list[dt.date]:
    return [d.date for d in build_calendar(year) if d.day_type == "Open"]


def _leavers_and_joiners(rng: random.Random, persons: list[Person], year: int,
                         today: dt.date) -> None:
    """Last year's Year 13 and non-staying Year 11 left in July; a few leave or join this year."""
    last_year_end = _open_days(year - 1)[-1]
    for p in persons:
        nc_last = p.nc_year(year - 1)
        if nc_last == 13 or (nc_last == 11 and not p.stays_sixth):
            p.leaving = last_year_end
    # In-year moves happen only on days already past.
    days = [d for d in _open_days(year) if d < today]
    if len(days) < 15:
        return
    window = days[10:]
    current = [p for p in persons if p.leaving is None]
    movers = rng.sample(current, k=min(len(current), max(1, len(current) // 100) * 2))
    half = len(movers) // 2
    for p in movers[:half]:
        p.leaving = rng.choice(window)
    for p in movers[half:]:
        if p.nc_year(year) > 7:  # Year 7s all joined in September anyway
            p.admission = rng.choice(window)
