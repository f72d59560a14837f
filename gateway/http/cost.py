"""The estimated cost of an operation, before it runs: fields in the answer and upstream calls.

In the spirit of the IBM GraphQL cost specification's ``@listSize`` directive (also Apollo's
demand control), with its default weights: every object in the answer costs 1 (scalars and
enums 0), and a list field multiplies the cost of its selection by the list's expected size.
The cost is thus the expected number of objects in the answer. The expected size comes, best
first, from

1. what this gateway has seen of the school: the row counts of the school's resources it has
   loaded (``SchoolSizes``; e.g. ``AcademicYear.students`` is the school's student count, its
   ``groups`` the school's teaching groups), for the school-wide lists;
2. a declared estimate per list field (``LIST_SIZES``, the ``assumedSize`` of ``@listSize``),
   scaled down when a filtering argument is given (the spec's ``slicingArguments``),
3. ``DEFAULT_LIST_SIZE`` for any other list.

Date-range fields multiply by the days they cover. A cursor connection (``xsConnection`` beside the
list ``xs``, graph/connections.py) counts as its list with at most ``first`` (or ``last``) items on
the page, the default page when neither is given; its wrapper objects (the connection, each
edge, its pageInfo) count 1 each, like any object, and read nothing of their own. The second estimate counts upstream calls:
each day of a date-range (or per-date) field is its own upstream resource for the whole school,
so the distinct (route, day) pairs of the operation are calls it cannot avoid, plus one per other
distinct resource-backed field. Both are lower bounds in the sense that matters: an operation
refused here would have cost at least as much.

This module only reads the schema and the document; it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)


@dataclass(frozen=True, slots=True)
class ListSize:
    """The expected length of one list field (``@listSize(assumedSize:, slicingArguments:)``)."""

    assumed: float
    #: The school's resource whose row count is this list's length (school-wide lists).
    route: str | None = None
    #: Filtering arguments: when given, the size is multiplied by the factor.
    slicing: tuple[tuple[str, float], ...] = ()
    #: Items per day covered, for date-range fields (``from``/``to``): size = per_day x days.
    per_day: float | None = None


#: Lists nobody declared: a moderate guess.
DEFAULT_LIST_SIZE = 50.0
_YEAR_FILTERS = (("yearGroup", 1 / 7), ("registrationGroup", 1 / 60), ("onRoll", 1.0))

#: Declared estimates for a large secondary school (2,000 students, 400 teaching groups), scaled
#: from the averages of the simulator's demo school (1,200 students: 9 groups per student, 25
#: students per group, 60 marks per student, 2.5 marksheets per markbook, 3 markslots per
#: marksheet, 110 marks per markslot), rounded up.
LIST_SIZES: dict[tuple[str, str], ListSize] = {
    ("AcademicYear", "students"): ListSize(2000, "students", slicing=_YEAR_FILTERS),
    ("AcademicYear", "groups"): ListSize(400, "groups"),
    ("AcademicYear", "teachers"): ListSize(150, "teachers"),
    ("AcademicYear", "staff"): ListSize(250, "staff-accounts"),
    ("AcademicYear", "subjects"): ListSize(150, "subjects", slicing=(("yearGroup", 1 / 7),)),
    ("AcademicYear", "departments"): ListSize(20, "departments"),
    ("AcademicYear", "classes"): ListSize(600, "classes"),
    ("AcademicYear", "timetables"): ListSize(2, "timetables"),
    ("AcademicYear", "markbooks"): ListSize(150, "markbooks"),
    ("AcademicYear", "attendanceSummaries"): ListSize(2000, "attendance-summary"),
    ("AcademicYear", "sessionMarks"): ListSize(4000),
    ("AcademicYear", "lessonMarks"): ListSize(12000),
    ("AcademicYear", "behaviourEvents"): ListSize(40, per_day=40),
    ("AcademicYear", "calendar"): ListSize(365, per_day=1),
    ("Student", "groups"): ListSize(15),
    ("Student", "classes"): ListSize(15),
    ("Student", "classEnrolments"): ListSize(15),
    ("Student", "marks"): ListSize(100),
    ("Student", "marksheetGrades"): ListSize(50),
    ("Student", "sessionMarks"): ListSize(2, per_day=2),
    ("Student", "lessonMarks"): ListSize(6, per_day=6),
    ("Student", "behaviourEvents"): ListSize(1, per_day=0.2),
    ("Student", "contacts"): ListSize(3),
    ("Group", "students"): ListSize(30),
    ("Group", "teachers"): ListSize(2),
    ("Teacher", "groups"): ListSize(10),
    ("TimetabledClass", "students"): ListSize(30),
    ("Subject", "groups"): ListSize(8),
    ("Department", "subjects"): ListSize(8),
    ("Markbook", "marksheets"): ListSize(3),
    ("Marksheet", "markslots"): ListSize(4),
    ("Markslot", "marks"): ListSize(180),
    ("School", "academicYears"): ListSize(3),
    ("Query", "schools"): ListSize(20),
}

#: Fields that fan out over each day of a range (one upstream resource per day and school).
DATE_RANGE_ROUTES: dict[tuple[str, str], str] = {
    ("AcademicYear", "behaviourEvents"): "behaviour-events",
    ("Student", "behaviourEvents"): "behaviour-events",
    ("Student", "sessionMarks"): "session-marks",
    ("Student", "lessonMarks"): "lesson-marks",
}
#: Fields that read one day's resource (argument ``date``).
PER_DATE_ROUTES: dict[tuple[str, str], str] = {
    ("AcademicYear", "sessionMarks"): "session-marks",
    ("AcademicYear", "lessonMarks"): "lesson-marks",
}
#: The longest range counted (the graph refuses longer ones before any call).
MAX_SPAN_DAYS = 400
#: A connection field is its list's name with this suffix; its paging arguments; the page size
#: when neither ``first`` nor ``last`` is given (graph/connections.py, which this module does not
#: import: it reads only the schema).
CONNECTION_SUFFIX = "Connection"
PAGING_ARGS = ("first", "after", "last", "before")
DEFAULT_PAGE = 100


class SchoolSizes:
    """Row counts of each school's year-level resources, as this process last loaded them.

    Bounded: the most recently seen ``max_schools`` schools."""

    def __init__(self, max_schools: int = 1000) -> None:
        self._sizes: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._max = max_schools

    def note(self, school: str, route: str, rows: int) -> None:
        sizes = self._sizes.get(school)
        if sizes is None:
            sizes = self._sizes[school] = {}
            while len(self._sizes) > self._max:
                self._sizes.popitem(last=False)
        else:
            self._sizes.move_to_end(school)
        sizes[route] = rows

    def of(self, school: str | None) -> dict[str, int]:
        return self._sizes.get(school, {}) if school is not None else {}


@dataclass(slots=True)
class Estimate:
    cost: float = 0.0
    #: Distinct per-day upstream resources, as (route, day).
    days: set[tuple[str, str]] = field(default_factory=set)
    #: Other distinct resource-backed fields (type.field with arguments).
    resources: set[str] = field(default_factory=set)

    @property
    def upstream_calls(self) -> int:
        return len(self.days) + len(self.resources)

    def as_extension(self, max_cost: int, max_calls: int) -> dict[str, Any]:
        return {"estimated": round(self.cost), "max": max_cost,
                "upstreamCalls": self.upstream_calls, "maxUpstreamCalls": max_calls}


class CostEstimator:
    """Estimates an operation of a validated document (fragment cycles are already refused)."""

    def __init__(self, schema: GraphQLSchema, sizes: SchoolSizes | None = None) -> None:
        self.schema = schema
        self.sizes = sizes or SchoolSizes()

    def estimate(self, document: DocumentNode, operation: OperationDefinitionNode,
                 variables: dict[str, Any] | None, schools: list[str] | None = None) -> Estimate:
        root = self.schema.get_root_type(operation.operation)
        walk = _Walk(self, document, operation, variables or {}, schools or [])
        out = Estimate()
        if root is not None:
            out.cost = walk.selection_cost(root, operation.selection_set)
        out.days, out.resources = walk.days, walk.resources
        return out

    def list_size(self, parent: str, name: str, args: dict[str, Any], days: int | None,
                  schools: list[str]) -> float:
        declared = LIST_SIZES.get((parent, name))
        if declared is None:
            return DEFAULT_LIST_SIZE
        if declared.per_day is not None and days is not None:
            return max(1.0, declared.per_day * days)
        size = declared.assumed
        if declared.route is not None:
            seen = self._seen(declared, schools)
            if seen is not None:
                size = seen
        for arg, factor in declared.slicing:
            if args.get(arg) is not None:
                size *= factor
        return max(1.0, size)

    def _seen(self, declared: ListSize, schools: list[str]) -> float | None:
        """The largest size seen among the caller's schools, or None when none is known."""
        best: float | None = None
        for school in schools:
            sizes = self.sizes.of(school)
            rows = sizes.get(declared.route or "")
            if rows is None:
                continue
            value = float(rows)
            best = value if best is None else max(best, value)
        return best


class _Walk:
    def __init__(self, est: CostEstimator, document: DocumentNode, operation: OperationDefinitionNode,
                 variables: dict[str, Any], schools: list[str]) -> None:
        self.est = est
        self.schools = schools
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables = dict(variables)
        for var in operation.variable_definitions or ():
            name = var.variable.name.value
            if name not in self.variables and var.default_value is not None:
                self.variables[name] = value_from_ast_untyped(var.default_value)
        self.days: set[tuple[str, str]] = set()
        self.resources: set[str] = set()
        #: Cost of a fragment's selection per parent type (and page size, within a connection):
        #: a fragment spread many times is walked once (no blow-up from fragments spreading
        #: fragments).
        self._memo: dict[tuple[str, str, float | None], float] = {}
        #: The page sizes of the connections being walked (innermost last).
        self._pages: list[float] = []

    def selection_cost(self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None) -> float:
        if selection_set is None:
            return 0.0
        total = 0.0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += self.field_cost(parent, sel)
            elif isinstance(sel, InlineFragmentNode):
                total += self.selection_cost(self._narrow(parent, sel.type_condition), sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments.get(sel.name.value)
                if fragment is None:
                    continue
                key = (fragment.name.value, parent.name, self._pages[-1] if self._pages else None)
                cost = self._memo.get(key)
                if cost is None:
                    cost = self._memo[key] = self.selection_cost(
                        self._narrow(parent, fragment.type_condition), fragment.selection_set)
                total += cost
        return total

    def _narrow(self, parent: GraphQLObjectType, condition: Any) -> GraphQLObjectType:
        if condition is None:
            return parent
        named = self.est.schema.get_type(condition.name.value)
        return named if isinstance(named, GraphQLObjectType) else parent

    def field_cost(self, parent: GraphQLObjectType, node: FieldNode) -> float:
        name = node.name.value
        if name.startswith("__"):
            return 0.0 if name == "__typename" else 100.0  # introspection: small, fixed
        fdef: GraphQLField | None = parent.fields.get(name)
        if fdef is None:
            return 0.0
        args = self._args(node)
        type_ = fdef.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        named = get_named_type(type_)
        # A connection is counted as its list (same days, same upstream resource), paged.
        paged = name.endswith(CONNECTION_SUFFIX) and _is_connection(named)
        coordinate = (parent.name, name[:-len(CONNECTION_SUFFIX)] if paged else name)
        days = self._days(coordinate, args)
        if is_leaf_type(named):
            return 0.0  # scalars and enums: weight 0, as in the cost specification
        wrapper = _is_connection(parent) or _is_edge(parent)  # edges, node, pageInfo read nothing
        if coordinate not in DATE_RANGE_ROUTES and coordinate not in PER_DATE_ROUTES and not wrapper:
            listed = sorted(((k, v) for k, v in args.items() if not (paged and k in PAGING_ARGS)), key=str)
            self.resources.add(f"{parent.name}.{coordinate[1]}({listed!r})"[:200])
        if paged:
            size = self.est.list_size(parent.name, coordinate[1], args, days, self.schools)
            self._pages.append(min(size, _page_size(args)))
            try:
                return 1.0 + self.selection_cost(named, node.selection_set)  # type: ignore[arg-type]
            finally:
                self._pages.pop()
        inner = self.selection_cost(named, node.selection_set) if isinstance(named, GraphQLObjectType) \
            else self._abstract_cost(node)
        if isinstance(type_, GraphQLList):
            if wrapper and self._pages:
                size = self._pages[-1]  # a connection's edges: its page
            else:
                size = self.est.list_size(parent.name, name, args, days, self.schools)
            return size * (1.0 + inner)
        return 1.0 + inner

    def _abstract_cost(self, node: FieldNode) -> float:
        """Interfaces and unions: the costliest of the member selections (none in this schema yet)."""
        best = 0.0
        for sel in node.selection_set.selections if node.selection_set else ():
            if isinstance(sel, InlineFragmentNode) and sel.type_condition is not None:
                named = self.est.schema.get_type(sel.type_condition.name.value)
                if isinstance(named, GraphQLObjectType):
                    best = max(best, self.selection_cost(named, sel.selection_set))
        return best

    def _args(self, node: FieldNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for arg in node.arguments or ():
            value = arg.value
            if isinstance(value, VariableNode):
                out[arg.name.value] = self.variables.get(value.name.value)
            else:
                out[arg.name.value] = value_from_ast_untyped(value, self.variables)
        return out

    def _days(self, coordinate: tuple[str, str], args: dict[str, Any]) -> int | None:
        """Days a date-range field covers (and note each day's upstream resource)."""
        if coordinate in PER_DATE_ROUTES:
            day = _date(args.get("date"))
            self.days.add((PER_DATE_ROUTES[coordinate], day.isoformat() if day else "?"))
            return 1
        if "from" not in args:
            return None
        start = _date(args.get("from"))
        end = _date(args.get("to")) or start
        if start is None or end is None or end < start:
            span = 1
        else:
            span = min((end - start).days + 1, MAX_SPAN_DAYS)
        route = DATE_RANGE_ROUTES.get(coordinate)
        if route is not None and start is not None:
            for n in range(span):
                self.days.add((route, (start + dt.timedelta(n)).isoformat()))
        return span


def _is_connection(type_: Any) -> bool:
    """A Relay connection type (``edges``, ``pageInfo``)."""
    return isinstance(type_, GraphQLObjectType) and "edges" in type_.fields and "pageInfo" in type_.fields


def _is_edge(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and "cursor" in type_.fields and "node" in type_.fields


def _page_size(args: dict[str, Any]) -> float:
    """The most items a page may hold: the smaller of first and last, else the default page."""
    given = [float(v) for k in ("first", "last") if isinstance(v := args.get(k), int) and v >= 0]
    return min(given) if given else float(DEFAULT_PAGE)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
