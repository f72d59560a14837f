"""A report's rows are generated once per simulator and served from then on (as grades are):
the same rows a fresh generation gives, so the answers do not change, only their cost."""

from __future__ import annotations

from gateway.simulator import DEMO_KEY, Simulator


def test_report_rows_are_generated_once_and_equal_a_fresh_generation(sim: Simulator) -> None:
    school = sim.school_for(DEMO_KEY)
    attainment = school.current.attainment
    for report in attainment.reports:
        for read, fresh in (
                (lambda r: attainment.report_grades(r, True),
                 lambda r: attainment._report_grades(r, True)),
                (lambda r: attainment.report_grades(r, False),
                 lambda r: attainment._report_grades(r, False)),
                (attainment.report_attributes, attainment._report_attributes),
                (attainment.report_comments, attainment._report_comments)):
            first = read(report)
            assert read(report) is first  # served again, not generated again
            assert first == fresh(report)  # the very rows a new generation gives
