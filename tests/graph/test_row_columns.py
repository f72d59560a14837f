"""``COLUMNS = columns(...)``: a run of text columns written as a table stands where it is written."""

from __future__ import annotations

import pytest
import strawberry

from gateway.graph.row import Row, column, columns
from gateway.graph.schema import schema


def test_a_table_reads_a_key_and_a_description_a_line() -> None:
    table = columns("""
        title        The title, e.g. Mrs.
        first_name   The forename  (two spaces inside stay).
    """, convert=str)
    assert table.rows == (("title", "The title, e.g. Mrs."), ("first_name", "The forename  (two spaces inside stay)."))
    assert table.convert is str


@pytest.mark.parametrize("line", ["title", "not-a-key The title.", "   \n  title  "])
def test_a_line_without_a_key_and_a_description_fails_at_import(line: str) -> None:
    with pytest.raises(ValueError, match="a key and a description"):
        columns(line)


def test_the_fields_stand_where_the_table_stands() -> None:
    @strawberry.type
    class Sample(Row, id="The id."):
        first: int | None = column("first", "Before the table.")
        COLUMNS = columns("""
            second  In the table.
            third   In the table too.
        """, convert=lambda v: None if v is None else str(v).upper())
        fourth: int | None = column("fourth", "After the table.")

    built = strawberry.Schema(query=Sample)
    assert list(built._schema.type_map["Sample"].fields) == ["id", "first", "second", "third", "fourth"]
    sample = Sample(raw={"id": 7, "first": 1, "second": "a", "fourth": 4}, year=2026, res=None)  # type: ignore[arg-type]
    result = built.execute_sync("{ id first second third fourth }", root_value=sample)
    assert result.data == {"id": "7", "first": 1, "second": "A", "third": None, "fourth": 4}


def test_a_type_keeps_its_written_field_order() -> None:
    names = list(schema._schema.type_map["StaffMember"].fields)
    assert names[:11] == ["id", "emailAddress", "firstName", "lastName", "legalFirstName", "legalLastName",
                          "preferredFirstName", "preferredLastName", "displayName", "title", "isCurrent"]
