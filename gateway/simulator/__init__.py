"""A faithful fake GO4Schools (and Assembly) with a deterministic generated school.

Used three ways: the embedded default of ``go4graph serve``, the upstream of
the tests, and the upstream of the benchmarks. It imports nothing of the
gateway but ``gateway.shared``.
"""

from __future__ import annotations

from gateway.simulator.app import Simulator, SimulatorConfig, create_simulator, run
from gateway.simulator.control import RequestRecord
from gateway.simulator.profiles import (
    ASSEMBLY_DEMO_TOKEN,
    ASSEMBLY_PREFIX,
    ASSEMBLY_SECOND_TOKEN,
    DEMO_KEY,
    GO4SCHOOLS_PREFIX,
    SECOND_KEY,
)
from gateway.simulator.school import School, YearData

__all__ = [
    "ASSEMBLY_DEMO_TOKEN",
    "ASSEMBLY_PREFIX",
    "ASSEMBLY_SECOND_TOKEN",
    "DEMO_KEY",
    "GO4SCHOOLS_PREFIX",
    "SECOND_KEY",
    "RequestRecord",
    "School",
    "Simulator",
    "SimulatorConfig",
    "YearData",
    "create_simulator",
    "run",
]
