"""The simulator as one object: its config, its Starlette app, its schools and its steering wheel."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from gateway.simulator.assembly import AssemblyApi, AssemblyView
from gateway.simulator.calendar import london_today
from gateway.simulator.control import MODULES, Control, RequestRecord
from gateway.simulator.go4schools import GO4SchoolsApi, bearer
from gateway.simulator.post_faults import PostFaults
from gateway.simulator.profiles import (
    ASSEMBLY_PREFIX,
    BY_KEY,
    BY_TOKEN,
    GO4SCHOOLS_PREFIX,
    PROFILES,
    SchoolProfile,
)
from gateway.simulator.responses import SimError, error_response
from gateway.simulator.school import School, YearData

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass
class SimulatorConfig:
    students: int = 1200  # size of the school behind DEMO_KEY
    second_school_students: int = 300  # size of SECOND_KEY's school
    page_size: int = 100  # items per page on cursor-paged routes (read at request time)
    latency_ms: float = 0.0  # fixed delay before every response
    seed: int = 2026
    today: dt.date | None = None  # "today" in Europe/London; None: the real today


class Simulator:
    """A fake GO4Schools and Assembly serving two generated schools; see DESIGN.md, "The simulator"."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.control = Control()
        self.post_faults = PostFaults()  # after-save faults of the write (gateway.simulator.post_faults)
        self._schools: dict[str, School] = {}
        self._views: dict[str, AssemblyView] = {}
        self._lock = threading.RLock()  # the app may serve a uvicorn thread and a test at once
        self.app = self._build_app()

    # --- data ---------------------------------------------------------------------------
    def today(self) -> dt.date:
        return self.config.today or london_today()

    def _school(self, profile: SchoolProfile) -> School:
        with self._lock:
            school = self._schools.get(profile.code)
            if school is None:
                size = self.config.students if profile.key == PROFILES[0].key \
                    else self.config.second_school_students
                school = School(profile, seed=self.config.seed, students=size, today=self.today)
                self._schools[profile.code] = school
            return school

    def school_for(self, key: str) -> School:
        """The generated school behind a GO4Schools key or an Assembly token."""
        profile = BY_KEY.get(key) or BY_TOKEN.get(key)
        if profile is None:
            raise KeyError("not a simulator key")  # the key itself is never echoed
        return self._school(profile)

    def school_by_key(self, key: str | None) -> School | None:
        profile = BY_KEY.get(key) if key else None
        return self._school(profile) if profile else None

    def school_by_token(self, token: str | None) -> School | None:
        profile = BY_TOKEN.get(token) if token else None
        return self._school(profile) if profile else None

    def year_of(self, school: School, year: int) -> YearData:
        return school.year(year)

    def assembly_view(self, school: School) -> AssemblyView:
        with self._lock:
            if school.code not in self._views:
                self._views[school.code] = AssemblyView(school)
            return self._views[school.code]

    def assembly_modified(self, school: School) -> dt.datetime:
        return school.assembly_modified

    def touch_assembly(self, token: str) -> None:
        """Move the school's Assembly Last-Modified to now (always later than before)."""
        school = self.school_for(token)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        school.assembly_modified = max(now, school.assembly_modified + dt.timedelta(seconds=1))

    # --- what tests read ----------------------------------------------------------------------
    @property
    def counts(self) -> Counter[str]:
        return self.control.counts

    @property
    def requests(self) -> list[RequestRecord]:
        return self.control.requests

    @property
    def posted(self) -> list[dict[str, Any]]:
        return self.control.posted

    # --- what tests steer ------------------------------------------------------------------------
    def reset(self) -> None:
        self.control.reset()
        self.post_faults.clear()

    def disable_module(self, key: str, module: str) -> None:
        if module not in MODULES:
            raise ValueError(f"unknown module {module!r}; one of {sorted(MODULES)}")
        self.control.mode(self.school_for(key).code).disabled.add(module)

    def enable_module(self, key: str, module: str) -> None:
        self.control.mode(self.school_for(key).code).disabled.discard(module)

    def set_mode(self, key: str, *, bromcom: bool | None = None,
                 attendance_mode_ok: bool | None = None, embargo: bool | None = None) -> None:
        mode = self.control.mode(self.school_for(key).code)
        if bromcom is not None:
            mode.bromcom = bromcom
        if attendance_mode_ok is not None:
            mode.attendance_mode_ok = attendance_mode_ok
        if embargo is not None:
            mode.embargo = embargo

    def revoke(self, key: str, revoked: bool = True) -> None:
        """The school revokes ``key`` (every GO4Schools call with it answers 401) or, with
        ``revoked=False``, issues it again. Kept across ``reset()``, like the other modes."""
        self.control.mode(self.school_for(key).code).revoked = revoked

    def inject(self, status: int, *, times: int = 1, route: str | None = None,
               retry_after: float | None = None) -> None:
        """The next ``times`` requests to ``route`` (any route when None) answer ``status``."""
        self.control.inject(status, times, route, retry_after)

    def inject_fault(self, kind: str, *, route: str | None = None, times: int = 1,
                     status: int = 500, retry_after: float | None = None, delay: float = 0.0,
                     key: str | None = None) -> None:
        """The next ``times`` requests to ``route`` (any when None) meet a fault of ``kind``.

        Kinds (``control.FAULT_KINDS``): status (answer ``status``, with Retry-After when
        given), delay (wait ``delay`` s, then answer), reset (drop the connection mid-body),
        truncated, malformed, empty, html, endless-cursor, repeat-cursor. A paged walk uses one
        of ``times`` per page; ``clear_faults()`` ends a fault early. With ``key``, only
        requests made with that key's school meet the fault (the other school is well).
        """
        school = self.school_for(key).code if key is not None else None
        self.control.inject(status, times, route, retry_after, kind, delay, school)

    def clear_faults(self, route: str | None = None) -> None:
        self.control.clear_faults(route)
    def inject_post(self, kind: str, *, times: int = 1, delay_ms: float = 0.0) -> None:
        """The next ``times`` POSTs save their mark, then fail: "reset", "500" or "delay"."""
        self.post_faults.inject(kind, times, delay_ms)

    # --- the ASGI app ----------------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        unknown = Route("/{rest:path}", self._unknown, methods=_ALL_METHODS)
        app = Starlette(routes=[
            Mount(GO4SCHOOLS_PREFIX, routes=[*GO4SchoolsApi(self).routes(), unknown]),
            Mount(ASSEMBLY_PREFIX, routes=[*AssemblyApi(self).routes(), unknown]),
            unknown,
        ])
        app.state.simulator = self
        return app

    async def _unknown(self, request: Request) -> Response:
        self.control.count("unknown")
        key = bearer(request)
        school = self.school_by_key(key) or self.school_by_token(key)
        self.control.log(RequestRecord("unknown", request.method, request.url.path,
                                       dict(request.query_params), 404, school is not None,
                                       request.headers.get("accept"),
                                       school.code if school else None))
        return error_response(SimError(404))


def create_simulator(config: SimulatorConfig | None = None) -> Simulator:
    return Simulator(config or SimulatorConfig())


def run(host: str, port: int, config: SimulatorConfig) -> None:
    """Serve the simulator over HTTP with uvicorn (``go4graph simulator``)."""
    import uvicorn

    uvicorn.run(create_simulator(config).app, host=host, port=port, log_level="warning",
                access_log=False)
