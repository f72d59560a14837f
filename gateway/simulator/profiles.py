"""The two simulated schools: their keys, Assembly tokens, names and id ranges.

The keys are fixed strings, not secrets: they unlock generated data only.
Each school draws its ids from its own range so that a test can tell at a
glance which school an id came from (and so that a leak between tenants shows).
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_KEY = "demo-go4schools-key-0001"
SECOND_KEY = "demo-go4schools-key-0002"
ASSEMBLY_DEMO_TOKEN = "demo-assembly-token-0001"
ASSEMBLY_SECOND_TOKEN = "demo-assembly-token-0002"

GO4SCHOOLS_PREFIX = "/customer/v1"
ASSEMBLY_PREFIX = "/assembly"


@dataclass(frozen=True, slots=True)
class SchoolProfile:
    key: str
    assembly_token: str
    code: str
    name: str
    #: Added to every generated id of the school.
    id_offset: int
    #: Local authority and establishment numbers of the school's feeder primaries (for UPNs).
    la: int
    feeders: tuple[int, ...]
    email_domain: str
    houses: tuple[str, ...]
    forms: tuple[str, ...]
    assembly_id_offset: int
    #: Salt for the school's random streams, so that two schools differ even with one seed.
    salt: str


DEMO = SchoolProfile(
    key=DEMO_KEY, assembly_token=ASSEMBLY_DEMO_TOKEN, code="DEMO", name="Demo Academy",
    id_offset=0, la=801, feeders=(2000, 2003, 2011, 2046, 2102, 2150, 3301, 3317),
    email_domain="demo-academy.example.org",
    houses=("Newton", "Seacole", "Turing", "Pankhurst"),
    forms=("East", "West", "North", "South", "Park", "Vale", "Hill", "Brook"),
    assembly_id_offset=50_000, salt="demo")

SECOND = SchoolProfile(
    key=SECOND_KEY, assembly_token=ASSEMBLY_SECOND_TOKEN, code="DEMO2",
    name="Second Demo School", id_offset=500_000_000, la=873,
    feeders=(2204, 2219, 2231, 3456), email_domain="second-demo.example.org",
    houses=("Brunel", "Franklin", "Nightingale"),
    forms=("Ash", "Birch", "Cedar", "Oak", "Rowan", "Yew"),
    assembly_id_offset=70_000, salt="second")

PROFILES: tuple[SchoolProfile, ...] = (DEMO, SECOND)
BY_KEY: dict[str, SchoolProfile] = {p.key: p for p in PROFILES}
BY_TOKEN: dict[str, SchoolProfile] = {p.assembly_token: p for p in PROFILES}
