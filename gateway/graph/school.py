"""The roots: the school(s) a caller may read and their academic years (GET Schools)."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from graphql import GraphQLObjectType, get_named_type

from gateway.graph import keys
from gateway.graph.academic_year import AcademicYear
from gateway.graph.context import Context, Info
from gateway.graph.errors import GatewayError, bad_input
from gateway.graph.nullability import semantic_non_null
from gateway.graph.plan import Scope, prefetch
from gateway.graph.row import column
from gateway.resources.memo import Resources
from gateway.resources.tenant import Tenant

YearArg = Annotated[int | None, strawberry.argument(
    description="The academic year, named by the calendar year it ends in (default: the current one).")]
CLAIM = "Needs the General-School (school.read) permission."


def tenant_for(ctx: Context, code: str | None) -> Tenant:
    """The tenant for ``school(code:)``; FORBIDDEN for a school this caller is not granted."""
    if not ctx.tenants:
        raise GatewayError("UNAUTHENTICATED", ctx.auth_problem or "Authentication required")
    if code is None:
        if len(ctx.tenants) == 1:
            return next(iter(ctx.tenants.values()))
        raise bad_input("This gateway serves several schools: choose one with school(code: ...)",
                        schools=sorted(c for c in ctx.tenants if c))
    if code in ctx.tenants:
        return ctx.tenants[code]
    if None in ctx.tenants and len(ctx.tenants) == 1:
        return ctx.tenants[None]  # one school: its code is checked against GET Schools below
    raise GatewayError("FORBIDDEN", f"You may not read school {code!r}", reason="School Not Granted")


async def load_school(ctx: Context, tenant: Tenant, code: str | None = None) -> School:
    res = ctx.resources_for(tenant)
    raw = (await res.load(keys.SCHOOL)).meta
    if code is not None and raw.get("code") != code:
        raise GatewayError("FORBIDDEN", f"You may not read school {code!r}", reason="School Not Granted")
    return School(raw=raw, res=res)


async def enter_year(info: Info, school: School, year: int | None) -> AcademicYear:
    """Check the year against the school's, then load everything the selection below will read."""
    years = [int(y) for y in school.raw.get("academic_years") or ()]
    if year is None:
        year = int(school.raw.get("current_academic_year") or (max(years) if years else 0))
    if year not in years:
        raise bad_input(f"The school has no academic year {year}; it has {', '.join(map(str, years)) or 'none'}",
                        academicYears=years)
    ay = AcademicYear(year=year, res=school.res, school_raw=school.raw)
    raw_info = info._raw_info
    await prefetch(Scope(info.context, school.res, year, info=info), raw_info,
                   cast(GraphQLObjectType, get_named_type(raw_info.return_type)), [ay],
                   [node.selection_set for node in raw_info.field_nodes])
    return ay


def _text(value: object) -> str:
    return str(value or "")


@strawberry.type(description="A school, from GET Schools. " + CLAIM)
class School:
    raw: strawberry.Private[dict]
    res: strawberry.Private[Resources]

    code: str = column("code", "The school's unique code.", convert=_text)
    name: str = column("name", "The name of the school.", convert=_text)
    academic_years: list[int] = column("academic_years", "The academic years the school has data for (named by the calendar year they end in: 2026 = Sept 2025 to July 2026).",
                                       convert=lambda v: [int(y) for y in v or ()])
    current_academic_year: int = column("current_academic_year", "The school's current academic year.",
                                        convert=lambda v: int(v or 0))

    @strawberry.field(description="One academic year of the school (default: the current one).",
                      directives=[semantic_non_null()])
    async def academic_year(self, info: Info, year: YearArg = None) -> AcademicYear:
        return await enter_year(info, self, year)


@strawberry.type(description="The roots of the graph: schools and academic years the caller may read.")
class Query:
    @strawberry.field(description="A school this caller may read. `code` is needed only when the gateway serves several schools (trust mode). " + CLAIM,
                      directives=[semantic_non_null()])
    async def school(self, info: Info, code: Annotated[str | None, strawberry.argument(
            description="The school's code (trust mode).")] = None) -> School:
        return await load_school(info.context, tenant_for(info.context, code), code)

    @strawberry.field(description="Every school this caller may read. " + CLAIM,
                      directives=[semantic_non_null()])
    async def schools(self, info: Info) -> list[School]:
        ctx = info.context
        if not ctx.tenants:
            raise GatewayError("UNAUTHENTICATED", ctx.auth_problem or "Authentication required")
        return [await load_school(ctx, t) for t in ctx.tenants.values()]

    @strawberry.field(description="An academic year of the (only) school, default its current year. In trust mode use school(code:) { academicYear }.",
                      directives=[semantic_non_null()])
    async def academic_year(self, info: Info, year: YearArg = None) -> AcademicYear:
        school = await load_school(info.context, tenant_for(info.context, None))
        return await enter_year(info, school, year)
