"""Pupils' own records for one year: personal details, education details, attributes, contacts, photos.

Attribute routes answer one object per attribute, each holding every pupil's
value (``students_and_attribute_values``), as the reference shows.
"""

from __future__ import annotations

import base64
import random
import struct
import zlib
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gateway.simulator import names
from gateway.simulator.calendar import iso_day
from gateway.simulator.roster import Person

if TYPE_CHECKING:
    from gateway.simulator.school import YearData

Json = dict[str, Any]
ATTRIBUTE_BASE = 700

SEN_NEEDS = ("SpLD - Specific Learning Difficulty", "MLD - Moderate Learning Difficulty",
             "SEMH - Social, Emotional and Mental Health", "SLCN - Speech, Language and Communication",
             "ASD - Autistic Spectrum Disorder", "HI - Hearing Impairment", "VI - Visual Impairment",
             "PD - Physical Disability")
PROFICIENCY = ("A - New to English", "B - Early acquisition", "C - Developing competence",
               "D - Competent", "E - Fluent")


def tiny_png(rgb: tuple[int, int, int]) -> str:
    """A valid 1x1 PNG of one colour as a data URL: a photo that costs a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00" + bytes(rgb))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


_PHOTOS = tuple(tiny_png((90 + 20 * i, 70 + 15 * i, 60 + 10 * i)) for i in range(8))


class PupilRecords:
    def __init__(self, yd: YearData) -> None:
        self.yd = yd
        self._attr_n = 0

    def _stamp(self, rng: random.Random) -> tuple[int | None, str | None]:
        """(academic_year, date) of a value: timestamped this year for most values."""
        if rng.random() < 0.7:
            day = rng.choice(self.yd.open_days[:40] or [self.yd.days[40].date])
            return self.yd.year, iso_day(day)
        return None, None

    def _attribute(self, n: int, code: str, name: str, system: bool,
                   values: list[tuple[Person, str]], rng: random.Random) -> Json:
        rows = []
        for p, value in values:
            year, date = self._stamp(rng)
            rows.append({"student_id": p.id, "value": value, "academic_year": year, "date": date})
        return {"id": self.yd.profile.id_offset + ATTRIBUTE_BASE + n, "code": code, "name": name,
                "is_system": system, "students_and_attribute_values": rows}

    # --- Students --------------------------------------------------------------------
    @cached_property
    def students(self) -> list[Json]:
        return [{"id": p.id, "date_of_birth": iso_day(p.dob), "sex": p.sex,
                 "legal_first_name": p.legal_first_name, "legal_last_name": p.legal_last_name,
                 "preferred_first_name": p.preferred_first_name,
                 "preferred_last_name": p.preferred_last_name, "middle_names": p.middle_names,
                 "student_mis_id": p.mis_id} for p in self.yd.pupils]

    @cached_property
    def education_details(self) -> list[Json]:
        yd = self.yd
        rng = yd.rng("education")
        form_of = self._forms(rng)
        out = []
        for p in yd.pupils:
            nc = yd.nc(p)
            form = form_of[p.id]
            attrs = [{"attribute_id": yd.profile.id_offset + ATTRIBUTE_BASE + 90,
                      "code": "modeOfTravel", "name": "Mode of travel", "is_system": False,
                      "attribute_values": [{"value": rng.choice(("Walk", "Bus", "Car", "Cycle", "Train")),
                                            "academic_year": yd.year, "date": None}]}]
            if p.eal:
                attrs.append({"attribute_id": yd.profile.id_offset + ATTRIBUTE_BASE + 91,
                              "code": "proficiencyInEnglish", "name": "Proficiency in English",
                              "is_system": True,
                              "attribute_values": [{"value": rng.choice(PROFICIENCY),
                                                    "academic_year": yd.year,
                                                    "date": iso_day(yd.days[40].date)}]})
            out.append({"student_id": p.id, "upn": p.upn, "former_upn": p.former_upn,
                        "national_curriculum_year": str(nc),
                        "registration_group": f"{nc}{form}",
                        "house": yd.profile.houses[p.id % len(yd.profile.houses)],
                        "admission_date": iso_day(p.admission),
                        "deleted_from_source": p.leaving is not None and p.leaving <= yd.days[-1].date,
                        "leaving_date": iso_day(p.leaving) if p.leaving else None,
                        "student_education_attributes": attrs})
        return out

    def _forms(self, rng: random.Random) -> dict[int, str]:
        """Registration groups of about 28, mixed at random within each year group."""
        by_year: dict[int, list[Person]] = {}
        for p in self.yd.pupils:
            by_year.setdefault(self.yd.nc(p), []).append(p)
        forms = self.yd.profile.forms
        out: dict[int, str] = {}
        for members in by_year.values():
            count = min(len(forms), max(1, -(-len(members) // 28)))
            for i, p in enumerate(rng.sample(members, len(members))):
                out[p.id] = forms[i % count]
        return out

    # --- attributes --------------------------------------------------------------------
    @cached_property
    def general_attributes(self) -> list[Json]:
        rng = self.yd.rng("general-attributes")
        ps = self.yd.pupils
        return [
            self._attribute(1, "admissionDate", "Admission date", True,
                            [(p, p.admission.strftime("%d/%m/%Y 00:00:00")) for p in ps], rng),
            self._attribute(2, "enrolmentStatus", "Enrolment status", True,
                            [(p, "C" if rng.random() < 0.98 else "M") for p in ps], rng),
            self._attribute(3, "readingAge", "Reading age", False,
                            [(p, f"{max(7.0, self.yd.nc(p) + 4 + (p.ability - 0.5) * 6):.1f}")
                             for p in ps if self.yd.nc(p) <= 9 and rng.random() < 0.9], rng),
            self._attribute(4, "instrumentLessons", "Instrument lessons", False,
                            [(p, rng.choice(("Piano", "Guitar", "Violin", "Drums", "Flute")))
                             for p in ps if rng.random() < 0.15], rng),
            self._attribute(5, "lunchArrangement", "Lunch arrangement", False,
                            [(p, "School meal" if p.flags["fsm"] or rng.random() < 0.5 else "Packed lunch")
                             for p in ps], rng),
        ]

    @cached_property
    def demographic_attributes(self) -> list[Json]:
        rng = self.yd.rng("demographic-attributes")
        ps = self.yd.pupils

        def trio(p: Person) -> tuple[str, str, str]:
            eal = p.background.eal
            if p.eal and eal:
                return eal
            return ("English", "United Kingdom", "British")
        return [
            self._attribute(11, "countryOfBirth", "Country of Birth", True,
                            [(p, trio(p)[1]) for p in ps], rng),
            self._attribute(12, "homeLanguage", "Home Language", True,
                            [(p, trio(p)[0]) for p in ps], rng),
            self._attribute(13, "firstLanguage", "First Language", True,
                            [(p, trio(p)[0]) for p in ps], rng),
            self._attribute(14, "nationality", "Nationality", True,
                            [(p, trio(p)[2]) for p in ps if rng.random() < 0.95], rng),
        ]

    @cached_property
    def send_attributes(self) -> list[Json]:
        rng = self.yd.rng("send-attributes")
        ps = self.yd.pupils
        status = {"N": "No Special Educational Need", "K": "SEN Support",
                  "E": "Education, Health and Care Plan"}
        sen = [p for p in ps if p.sen != "N"]
        gifted = [p for p in ps if p.flags["gifted"]]
        return [
            self._attribute(21, "senCode", "Sen Code", True, [(p, p.sen) for p in ps], rng),
            self._attribute(22, "senStatus", "Sen Status", True,
                            [(p, status[p.sen]) for p in ps], rng),
            self._attribute(23, "senNeed", "Educational needs", False,
                            [(p, rng.choice(SEN_NEEDS)) for p in sen], rng),
            self._attribute(24, "giftedTalented", "Gifted/Talented", False,
                            [(p, "Yes") for p in gifted], rng),
            self._attribute(25, "giftedTalentedSubject", "Gifted/Talented Subject", False,
                            [(p, rng.choice(("Mathematics", "Music", "Art", "English", "PE")))
                             for p in gifted], rng),
        ]

    @cached_property
    def sensitive_attributes(self) -> list[Json]:
        rng = self.yd.rng("sensitive-attributes")
        ps = self.yd.pupils

        def yes(flag: str) -> list[tuple[Person, str]]:
            return [(p, "Yes" if p.flags[flag] else "No") for p in ps]
        return [
            self._attribute(31, "fsm", "FSM", True, yes("fsm"), rng),
            self._attribute(32, "fsmEver6", "FSMEver6", True, yes("fsmEver6"), rng),
            self._attribute(33, "eal", "EAL", True, [(p, "Yes" if p.eal else "No") for p in ps], rng),
            self._attribute(34, "disadvantaged", "Disadvantaged", True, yes("pupilPremium"), rng),
            self._attribute(35, "ethnicity", "Ethnicity", True,
                            [(p, p.background.ethnicity) for p in ps if rng.random() < 0.97], rng),
            self._attribute(36, "ethnicityCode", "Ethnicity code", True,
                            [(p, p.background.ethnicity_code) for p in ps], rng),
            self._attribute(37, "everInCare", "Ever In Care", True, yes("everInCare"), rng),
            self._attribute(38, "lookedAfter", "Looked after", True, yes("lookedAfter"), rng),
            self._attribute(39, "pupilPremium", "Pupil Premium Indicator", True,
                            yes("pupilPremium"), rng),
            self._attribute(40, "serviceChild", "Service Child", True, yes("serviceChild"), rng),
            self._attribute(41, "travellerType", "Traveller type", True,
                            [(p, "Gypsy/Roma") for p in ps if rng.random() < 0.005], rng),
        ]

    # --- photos, medical, contacts ------------------------------------------------------------
    @cached_property
    def photos(self) -> list[Json]:
        return [{"student_id": p.id, "photo": _PHOTOS[p.id % len(_PHOTOS)]} for p in self.yd.pupils]

    @cached_property
    def medical_conditions(self) -> list[Json]:
        rng = self.yd.rng("medical")
        out = []
        for p in self.yd.pupils:
            if rng.random() < 0.1:
                conditions = rng.sample(names.MEDICAL, k=1 if rng.random() < 0.8 else 2)
                out.append({"student_id": p.id, "medical_conditions": "; ".join(conditions)})
        return out

    @cached_property
    def parental_contacts(self) -> list[Json]:
        rng = self.yd.rng("contacts")
        domain_mail = ("example.com", "example.net", "example.org")
        out: list[Json] = []
        n = 0
        for p in self.yd.pupils:
            parents = [("Mrs", rng.choice(p.background.girls)), ("Mr", rng.choice(p.background.boys))]
            rng.shuffle(parents)
            count = 1 if rng.random() < 0.3 else 2
            for priority, (title, first) in enumerate(parents[:count], start=1):
                n += 1
                last = p.preferred_last_name if rng.random() < 0.9 else rng.choice(p.background.surnames)
                if title == "Mrs" and rng.random() < 0.2:
                    title = "Ms"
                email = f"{first}.{last}{n % 97}".lower().replace(" ", "") + "@" + rng.choice(domain_mail)
                out.append({"student_id": p.id, "parent_display_name": f"{title} {first} {last}",
                            "priority": priority, "email_address": email,
                            "home_telephone": f"01632 {960000 + n % 1000:06d}",
                            "main_telephone": f"07700 {900000 + n % 1000:06d}",
                            "mobile": f"07700 {900000 + n % 1000:06d}",
                            "is_main_email_address_for_contact": priority == 1,
                            "student_contact_mis_id": 50_000 + n})
        return out

    @cached_property
    def parent_accounts(self) -> list[Json]:
        rng = self.yd.rng("parent-accounts")
        return [{"email_address": c["email_address"], "display_name": c["parent_display_name"],
                 "student_id": c["student_id"]}
                for c in self.parental_contacts if rng.random() < 0.7]
