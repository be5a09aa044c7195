"""Constant statements run straight on the DB-API cursor of a session's connection.

On the write paths every CI build hits (a verification result, a contract publication), SQLAlchemy's
execution of a statement costs 40-130 us of CPU (cache key, execution context, result metadata, ORM
loading) where SQLite takes 5-15 us to run it: under a profiler, 40 % of those endpoints' CPU and, on
SQLite, of the time the one writer's lock is held. A `Direct` statement is compiled once per database kind
and then costs a cursor's execute and fetch plus a few dictionary look-ups, with what SQLAlchemy would have
done kept:

- the session's transaction: the statement runs on `session.connection()` (so SQLite's BEGIN IMMEDIATE and
  the writer lock come first, as for any statement), after the session's pending ORM changes are flushed;
  or, given a Connection instead of a session, on it as it is (no transaction begun by SQLAlchemy);
- parameters and rows converted by the statement's column types as SQLAlchemy converts them (SQLite
  stores datetimes as text and booleans as integers);
- `before_cursor_execute` listeners (the answer cache's write detection, tests that capture SQL);
- DB-API errors raised as SQLAlchemy's (`IntegrityError`, `OperationalError`), a lost connection
  invalidated, by the connection's own error handling.

Core statements only: no ORM entities (rows come back as tuples; `broker.db.sql.entities` makes ORM objects
of them) and no literal-execute binds. An expanding IN (`bindparam(name, expanding=True)`, a list value) is
rendered by SQLAlchemy once per combination of list lengths and kept, where SQLAlchemy's execution rewrites
the SQL text for every call (the matrix's long statements: ~0.15 ms each). `after_cursor_execute` listeners
are not called (none is used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from sqlalchemy import Dialect, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]
# Where a direct statement runs: a session's transaction, or a connection of its own
# (`broker.db.engine.single_statement_reads`).
SessionOrConnection = Session | Connection


_NO_EXPANSION: Mapping[str, Sequence[str]] = {}
# Renderings kept per expanding statement (one per combination of list lengths); past it they start over.
_MAX_RENDERINGS = 256


@dataclass(frozen=True)
class _Rendering:
    sql: str
    names: tuple[str, ...]  # the binds the SQL names, in order (an expanding bind's as `name_1`, `name_2`...)
    expansion: Mapping[str, Sequence[str]]  # an expanding bind's name -> its elements' names


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the binds the SQL names, in order
    positional: bool  # SQLite's qmark style; PostgreSQL's by name
    defaults: Mapping[str, Any]  # binds with values of their own (a literal in the statement)
    binds: tuple[tuple[str, Processor], ...]  # binds whose values need converting (an expanding one's each)
    results: tuple[Processor | None, ...] | None  # per result column; None when none needs converting
    expanding: tuple[str, ...]  # binds given a list, rendered per list length
    compiled: Any  # SQLAlchemy's compiled statement, which renders the expanding binds
    renderings: dict[tuple[int, ...], _Rendering]

    def rendering(self, values: Mapping[str, Any]) -> _Rendering:
        lengths = tuple(len(values[name]) for name in self.expanding)
        found = self.renderings.get(lengths)
        if found is None:
            state = self.compiled.construct_expanded_state(dict(values), escape_names=False)
            names = tuple(state.positiontup) if self.positional else tuple(state.parameters)
            found = _Rendering(state.statement, names, state.parameter_expansion)
            if len(self.renderings) >= _MAX_RENDERINGS:
                self.renderings.clear()
            self.renderings[lengths] = found
        return found


class Direct:
    """A constant statement (built once, at import) to run on a session's DB-API cursor. `statement` may be
    a function of the dialect's module (`sqlalchemy.dialects.sqlite` or `.postgresql`) for statements that
    differ between the two (ON CONFLICT)."""

    def __init__(
        self,
        statement: ClauseElement | Callable[[ModuleType], ClauseElement],
        *,
        columns: Sequence[str] = (),
    ) -> None:
        """`columns`: those an INSERT takes from the parameters, each a bind of its own name (Core finds
        them in an execution's parameters; a direct statement is compiled before any)."""
        self.statement = statement
        self.columns = tuple(columns)
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            statement = self.statement
            if not isinstance(statement, ClauseElement):
                statement = statement(dialect_module(dialect.name))
            if self.columns:
                statement = statement.values({name: bindparam(name) for name in self.columns})  # type: ignore[attr-defined]
            found = self._by_dialect[dialect.name] = _compile(statement, dialect)
        return found

    def rows(
        self, session: SessionOrConnection, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Every row the statement returns (none for a write without RETURNING)."""
        connection = _connection(session)
        compiled = self._compiled(connection.dialect)
        values = dict(compiled.defaults)
        if params:
            values.update(params)
        sql, names, expansion = compiled.sql, compiled.names, _NO_EXPANSION
        if compiled.expanding:
            rendering = compiled.rendering(values)
            sql, names, expansion = rendering.sql, rendering.names, rendering.expansion
            for name, elements in expansion.items():
                values.update(zip(elements, values.pop(name), strict=True))
        for name, convert in compiled.binds:
            for element in expansion.get(name, (name,)):
                values[element] = convert(values[element])
        # A missing parameter is a KeyError naming it (the driver's own message differs by database).
        bound: Any = tuple(values[n] for n in names) if compiled.positional else {n: values[n] for n in names}
        rows = _run(connection, sql, bound)
        if compiled.results is None:
            return rows
        converters = compiled.results
        return [tuple(c(v) if c else v for c, v in zip(converters, row, strict=True)) for row in rows]

    def scalars(self, session: SessionOrConnection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The first column of every row (what `session.scalars` gives for a statement of columns)."""
        return [row[0] for row in self.rows(session, params)]

    def first(
        self, session: SessionOrConnection, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def run(self, session: SessionOrConnection, params: Mapping[str, Any] | None = None) -> None:
        self.rows(session, params)


@cache
def direct(statement: ClauseElement) -> Direct:
    """The `Direct` of a statement that lives as long as the process (a module's constant, or what a
    `functools.cache`d builder returns, where statements are composed of each other's parts): kept by the
    statement's identity, so a statement made per call would be kept forever."""
    return Direct(statement)


def dialect_module(name: str) -> ModuleType:
    """The module of a database kind's statements (its `insert` has ON CONFLICT): `sqlalchemy.dialects.*`."""
    return postgresql if name == "postgresql" else sqlite


def _connection(session: SessionOrConnection) -> Connection:
    if isinstance(session, Connection):
        return session
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # as an ORM execution would: the statement sees the session's pending changes
    return session.connection()


_WRITES = ("INSERT", "UPDATE", "DELETE")


def is_write(statement: str) -> bool:
    """Whether SQL text writes (what the answer cache's counters and SQLite's unlocked reads look for)."""
    return statement.lstrip()[:6].upper() in _WRITES


def execute_on(connection: Connection, sql: str) -> None:
    """A statement of no parameters and no rows (SQLite's BEGIN, COMMIT) on the connection's DB-API cursor,
    as a direct statement runs: ~4 us where `exec_driver_sql` takes ~13 (every SQLite request begins one)."""
    _run(connection, sql, ())


def _run(connection: Connection, sql: str, params: Any) -> list[tuple[Any, ...]]:
    dbapi_connection = connection.connection
    cursor = dbapi_connection.cursor()
    try:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, params, None, False)
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, sql, params, cursor, None)  # raises SQLAlchemy's error
    finally:
        cursor.close()


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    sql = compiled.string
    if compiled.literal_execute_params:
        raise ValueError(f"not a constant statement (a literal-execute bind): {sql}")
    expanding = tuple(name for name, bind in compiled.binds.items() if bind.expanding)
    defaults = {
        name: bind.value
        for name, bind in compiled.binds.items()
        if bind.value is not None or not bind.required
    }
    binds = tuple(
        (name, processor)
        for name, bind in compiled.binds.items()
        if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    columns = list(getattr(statement, "exported_columns", []) or [])
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    return _Compiled(
        sql,
        names,
        bool(compiled.positional),
        defaults,
        binds,
        results if any(results) else None,
        expanding,
        compiled,
        {},
    )
