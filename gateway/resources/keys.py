"""Resource keys: one per upstream resource, e.g. ``("marks", 2026)`` or ``("behaviour-events", 2026, "2026-11-03")``."""

from __future__ import annotations

from typing import NamedTuple

from gateway.upstream.routes import ROUTES


class ResourceKey(NamedTuple):
    """An upstream resource: a GET route, the academic year, and the route's one other
    parameter (a path parameter, or else the route's optional query filter)."""

    route: str
    year: int | None = None
    arg: str | None = None

    def params(self) -> dict[str, object]:
        """The route's path parameters."""
        route = ROUTES[self.route]
        values: dict[str, object] = {}
        for name in route.params:
            if name == "academicYear":
                values[name] = self.year
            else:
                values[name] = self.arg
        return values

    def query(self) -> dict[str, str]:
        """The route's query filter, when the argument fills it (not a path parameter)."""
        route = ROUTES[self.route]
        if route.query is None or self.arg is None or len(route.params) > ("academicYear" in route.params):
            return {}
        return {route.query: self.arg}

    def __str__(self) -> str:
        return ":".join(str(p) for p in self if p is not None)


#: Keys already built and checked, by (route, year, arg): resolvers ask for the same few keys
#: for every object of a list, so each is checked once. Bounded: cleared when it grows large.
_MADE: dict[tuple[str, int | None, object, type], ResourceKey] = {}
_MADE_MAX = 20_000


def key(route: str, year: int | None = None, arg: object = None) -> ResourceKey:
    """A key, checked against the routes table (a typo is an error here, not a 404 later)."""
    memo = (route, year, arg, type(arg))  # 1 and True are equal keys of a dict, not equal args
    try:
        return _MADE[memo]
    except KeyError:
        pass
    except TypeError:  # an unhashable argument: checked and built every time
        return _key(route, year, arg)
    made = _key(route, year, arg)
    if len(_MADE) >= _MADE_MAX:
        _MADE.clear()
    _MADE[memo] = made
    return made


def _key(route: str, year: int | None, arg: object) -> ResourceKey:
    r = ROUTES[route]
    if r.method != "GET":
        raise ValueError(f"{route} is not a readable resource")
    if ("academicYear" in r.params) != (year is not None):
        raise ValueError(f"{route}: academic year {'needed' if year is None else 'not taken'}")
    path_arg = len(r.params) - ("academicYear" in r.params) > 0
    if (path_arg and arg is None) or (arg is not None and not path_arg and r.query is None):
        raise ValueError(f"{route}: wrong parameters")
    return ResourceKey(route, year, None if arg is None else str(arg))
