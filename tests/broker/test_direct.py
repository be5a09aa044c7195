"""`Direct` statements behave as SQLAlchemy's execution of the same statement would, on SQLite and
PostgreSQL: the same rows and types back, values stored the same way, the session's transaction and
pending changes respected, listeners called, errors raised as SQLAlchemy's and a lost connection
invalidated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, exc, select, update
from sqlalchemy.orm import Session, aliased

from broker.db.direct import Direct
from broker.db.engine import is_postgres
from broker.db.models import Environment, Pacticipant, Verification, Version
from broker.db.sql import Entities, columns_of, entities
from broker.testing.builder import TestDataBuilder
from tests.broker.conftest import _pg_admin

_versions = Version.__table__.c
BY_NUMBER = select(_versions.id, _versions.number, _versions.created_at).where(
    _versions.pacticipant_id == bindparam("pid"), _versions.number == bindparam("number")
)
SUCCESSES = select(Verification.id, Verification.success, Verification.execution_date).where(
    Verification.provider_version_id == bindparam("pvid"),
    Verification.wip.in_([False, bindparam("wip")]),  # a bind with a value of its own
)


def _world(td: TestDataBuilder) -> None:
    td.create_provider("Bar").create_consumer("Foo")
    td.publish_pact("Foo", "1", "Bar")
    td.create_verification("p1", success=True)


def _ids(session: Session) -> dict[str, Any]:
    bar = session.scalars(select(Pacticipant).where(Pacticipant.name == "Bar")).one()
    p1 = session.scalars(select(Version).where(Version.pacticipant_id == bar.id, Version.number == "p1"))
    return {"pid": bar.id, "number": "p1", "pvid": p1.one().id, "wip": False}


@pytest.mark.parametrize("statement", [BY_NUMBER, SUCCESSES], ids=["datetime", "boolean and datetime"])
def test_rows_and_types_are_sqlalchemys(session: Session, td: TestDataBuilder, statement: Any) -> None:
    _world(td)
    params = _ids(session)
    expected = [tuple(row) for row in session.execute(statement, params)]
    assert expected, "the statement finds nothing: the test would compare two empty lists"
    got = Direct(statement).rows(session, params)
    assert got == expected
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]  # a datetime, not SQLite's text


def test_values_are_stored_as_sqlalchemy_stores_them(session: Session, td: TestDataBuilder) -> None:
    """A datetime written directly reads back through the ORM (SQLite keeps datetimes as text: a format of
    its own would break ordering and comparisons)."""
    _world(td)
    params = _ids(session)
    # Far ahead of the clock: the other versions were updated now and must stay before it.
    when = datetime(2100, 1, 1, 21, 0, 0, 123456, tzinfo=UTC)
    touch = update(Version).where(Version.id == bindparam("vid")).values(updated_at=bindparam("when"))
    Direct(touch).run(session, {"vid": params["pvid"], "when": when})
    session.commit()
    stored = session.execute(select(_versions.updated_at).where(_versions.id == params["pvid"])).scalar_one()
    assert stored.replace(tzinfo=None) == when.replace(tzinfo=None)
    later = select(_versions.id).where(_versions.updated_at > bindparam("t"))
    assert Direct(later).rows(session, {"t": datetime(2100, 1, 1, 20, 59, tzinfo=UTC)}) == [(params["pvid"],)]


def test_pending_changes_are_flushed_first(session: Session, td: TestDataBuilder) -> None:
    _world(td)
    session.add(Version(pacticipant_id=_ids(session)["pid"], number="p2", order=99))
    found = Direct(BY_NUMBER).first(session, {"pid": _ids(session)["pid"], "number": "p2"})
    assert found is not None and found[1] == "p2"


def test_entities_are_the_sessions_objects(session: Session, td: TestDataBuilder) -> None:
    _world(td)
    params = _ids(session)
    held = session.get(Version, params["pvid"])
    one = Direct(columns_of(Version).where(_versions.id == bindparam("vid")))
    [version] = entities(session, Version, one.rows(session, {"vid": params["pvid"]}))
    assert version is held  # as an ORM query returns the object the session holds
    session.expunge_all()
    [fresh] = entities(session, Version, one.rows(session, {"vid": params["pvid"]}))
    assert fresh.number == "p1" and isinstance(fresh.created_at, datetime)
    assert fresh in session and not session.dirty  # persistent, and nothing to write back


def test_several_entities_of_one_row_are_the_orms(session: Session, td: TestDataBuilder) -> None:
    """`Entities` over a model, an alias of another and a third: the objects an ORM query of the three gives
    (the same objects once the session holds them), a left-out column loaded on first access."""
    _world(td)
    td.create_environment("production", production=True, display_name="Production")
    consumer = aliased(Pacticipant)
    parts = Entities(Version, consumer, Environment, leave_out={Environment: ("display_name",)})
    joins = (
        select(*parts.columns)
        .select_from(Version)
        .join(consumer, consumer.id == Version.pacticipant_id)
        .join(Environment, Environment.name == "production")
        .where(Version.number == bindparam("number"))
    )
    orm = select(Version, consumer, Environment).join(consumer, consumer.id == Version.pacticipant_id)
    orm = orm.join(Environment, Environment.name == "production").where(Version.number == "1")
    expected = [tuple(row) for row in session.execute(orm)]
    assert len(expected) == 1
    session.expunge_all()
    [(version, pacticipant, environment)] = parts.objects(
        session, Direct(joins).rows(session, {"number": "1"})
    )
    assert (version.number, pacticipant.name, environment.name) == ("1", "Foo", "production")
    assert environment.production is True and isinstance(version.created_at, datetime)
    assert "display_name" not in environment.__dict__  # left out: not loaded yet
    assert environment.display_name == "Production"  # loaded on access
    assert not session.dirty
    again = parts.objects(session, Direct(joins).rows(session, {"number": "1"}))
    assert again == [(version, pacticipant, environment)]  # the objects the session holds


def test_before_cursor_execute_listeners_are_called(session: Session, td: TestDataBuilder) -> None:
    _world(td)
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        Direct(BY_NUMBER).rows(session, _ids(session))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert any("versions.number" in s for s in seen)


def test_a_constraint_violation_is_sqlalchemys_integrity_error(session: Session, td: TestDataBuilder) -> None:
    _world(td)
    params = _ids(session)
    duplicate = Version.__table__.insert().values(
        pacticipant_id=bindparam("pid"), number=bindparam("number"), order=7, created_at=bindparam("t")
    )
    with pytest.raises(exc.IntegrityError):
        Direct(duplicate).run(session, {**params, "t": datetime.now(UTC)})
    session.rollback()
    assert Direct(BY_NUMBER).first(session, params) is not None  # the session goes on after a rollback


def test_a_missing_parameter_is_named(session: Session) -> None:
    with pytest.raises(KeyError, match="number"):
        Direct(BY_NUMBER).rows(session, {"pid": 1})


# Two lists in one statement, one of them converted (datetimes are text on SQLite), and a plain bind between.
IN_LISTS = select(_versions.id, _versions.number, _versions.created_at).where(
    _versions.number.in_(bindparam("numbers", expanding=True)),
    _versions.pacticipant_id == bindparam("pid"),
    _versions.created_at.in_(bindparam("times", expanding=True)),
)


def test_expanding_lists_of_every_length_are_sqlalchemys(session: Session, td: TestDataBuilder) -> None:
    """Each combination of list lengths is rendered once and reused; an empty list matches nothing, as
    SQLAlchemy's empty IN does; element values are converted by the column's type."""
    td.create_provider("Bar").create_consumer("Foo")
    for number in ("1", "2", "3"):
        td.publish_pact("Foo", number, "Bar")
    foo = session.scalars(select(Pacticipant).where(Pacticipant.name == "Foo")).one()
    created = dict(session.execute(select(_versions.number, _versions.created_at)).all())
    direct = Direct(IN_LISTS)
    for numbers in (["1", "2", "3"], ["2"], [], ["3", "1"], ["1", "3"]):
        params = {"numbers": numbers, "pid": foo.id, "times": [created[n] for n in numbers] or [created["1"]]}
        expected = sorted(tuple(row) for row in session.execute(IN_LISTS, params))
        assert len(expected) == len(numbers)
        assert sorted(direct.rows(session, params)) == expected
    lengths = {key for compiled in direct._by_dialect.values() for key in compiled.renderings}
    assert lengths == {(3, 3), (1, 1), (0, 1), (2, 2)}  # ["3", "1"] and ["1", "3"] share one rendering


def test_a_literal_list_is_an_expanding_bind_of_its_own(session: Session, td: TestDataBuilder) -> None:
    _world(td)
    statement = select(_versions.number).where(_versions.number.in_(["p1", "1", "nope"]))
    assert sorted(Direct(statement).rows(session)) == [("1",), ("p1",)]


def test_a_literal_execute_bind_is_refused(session: Session) -> None:
    literal = select(_versions.id).where(_versions.number == bindparam("number", literal_execute=True))
    with pytest.raises(ValueError, match="not a constant statement"):
        Direct(literal).rows(session, {"number": "1"})


def test_a_lost_connection_is_invalidated(session: Session, td: TestDataBuilder, database_url: str) -> None:
    """PostgreSQL drops the connection under the statement: SQLAlchemy's disconnect error, and the pool
    hands out a working connection next (not the dead one)."""
    if not is_postgres(session):
        pytest.skip("a SQLite connection cannot be dropped from outside")
    _world(td)
    params = _ids(session)
    session.commit()
    Direct(BY_NUMBER).rows(session, params)  # the session's connection is checked out
    name = database_url.rsplit("/", 1)[1]
    _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    with pytest.raises(exc.DBAPIError) as raised:
        Direct(BY_NUMBER).rows(session, params)
    assert raised.value.connection_invalidated
    session.rollback()
    assert Direct(BY_NUMBER).first(session, params) is not None
