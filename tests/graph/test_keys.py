"""The route constants of ``gateway.graph.keys``: each name is its route in capitals.

``keys.routes`` declares several routes in one line, names on the left and routes on the
right; this test is what keeps the two lists in step.
"""

from __future__ import annotations

from gateway.graph import keys

#: The names that are not their route in capitals (the graph's name reads better).
RENAMED = {"PARENTS": "parent-accounts", "STAFF": "staff-accounts",
           "GROUP_STUDENTS": "groups-students", "GROUP_TEACHERS": "groups-teachers"}
KINDS = (keys.YearRoute, keys.SchoolRoute, keys.ArgRoute, keys.FlaggedArgRoute, keys.SchoolArgRoute)


def test_each_route_constant_is_named_after_its_route() -> None:
    found = {name: value.route for name, value in vars(keys).items() if isinstance(value, KINDS)}
    assert len(found) == 44
    for name, route in found.items():
        assert route == RENAMED.get(name, name.lower().replace("_", "-")), name


def test_routes_keeps_the_order_of_its_names() -> None:
    first, second = keys.routes(keys.ArgRoute, "a-route", "another")
    assert (first, second) == (keys.ArgRoute("a-route"), keys.ArgRoute("another"))
