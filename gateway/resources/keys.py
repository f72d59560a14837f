"""Resource keys: one per upstream resource, e.g. ``("marks", 2026)`` or ``("behaviour-events", 2026, "2026-11-03")``."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

from gateway.upstream.routes import ROUTES

#: A key's further query parameters (``Route.options``): (name, value) pairs sorted by name.
Options = tuple[tuple[str, str], ...]


class ResourceKey(NamedTuple):
    """An upstream resource: a GET route, the academic year, the route's one other parameter
    (a path parameter, or else the route's optional query filter) and any further query
    parameters the route takes (``options``; () for none, the upstream's defaults)."""

    route: str
    year: int | None = None
    arg: str | None = None
    options: Options = ()

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
        """The query parameters: the route's filter, when the argument fills it (not a path
        parameter), and the key's options."""
        route = ROUTES[self.route]
        if route.query is None or self.arg is None or len(route.params) > ("academicYear" in route.params):
            return dict(self.options)
        return {route.query: self.arg, **dict(self.options)}

    def __str__(self) -> str:
        text = ":".join(str(p) for p in self[:3] if p is not None)
        return f"{text}?{urlencode(self.options)}" if self.options else text


#: Keys already built and checked, by (route, year, arg): resolvers ask for the same few keys
#: for every object of a list, so each is checked once. Bounded: cleared when it grows large.
_MADE: dict[tuple[str, int | None, object, type, Options], ResourceKey] = {}
_MADE_MAX = 20_000


def key(route: str, year: int | None = None, arg: object = None, options: Options = ()) -> ResourceKey:
    """A key, checked against the routes table (a typo is an error here, not a 404 later)."""
    memo = (route, year, arg, type(arg), options)  # 1 and True are equal keys of a dict, not equal args
    try:
        return _MADE[memo]
    except KeyError:
        pass
    except TypeError:  # an unhashable argument: checked and built every time
        return _key(route, year, arg, options)
    made = _key(route, year, arg, options)
    if len(_MADE) >= _MADE_MAX:
        _MADE.clear()
    _MADE[memo] = made
    return made


def _key(route: str, year: int | None, arg: object, options: Options = ()) -> ResourceKey:
    r = ROUTES[route]
    if r.method != "GET":
        raise ValueError(f"{route} is not a readable resource")
    if ("academicYear" in r.params) != (year is not None):
        raise ValueError(f"{route}: academic year {'needed' if year is None else 'not taken'}")
    path_arg = len(r.params) - ("academicYear" in r.params) > 0
    if (path_arg and arg is None) or (arg is not None and not path_arg and r.query is None):
        raise ValueError(f"{route}: wrong parameters")
    unknown = sorted({name for name, _ in options} - set(r.options))
    if unknown:
        raise ValueError(f"{route} takes no query parameter {', '.join(unknown)}")
    return ResourceKey(route, year, None if arg is None else str(arg), tuple(sorted(options)))
