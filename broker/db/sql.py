"""Portable write helpers: race-free inserts and the two counters, on SQLite and PostgreSQL alike.

Concurrent writers on PostgreSQL must never see a unique violation for "create if missing": they
`INSERT ... ON CONFLICT DO NOTHING` and then select. SQLite writers are serialised by BEGIN IMMEDIATE, but
the same statements work there, so there is a single code path.

The write paths every CI build hits (publish, verification results, deployments) build their statements
once per database kind (`per_dialect`) with bind parameters, and take the rows they have just inserted
into the session without reading them back (`attach`): building and cache-keying a statement costs more
CPU than SQLite takes to run it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, func, inspect, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class, set_committed_value
from sqlalchemy.orm.util import identity_key

from broker.db.direct import Direct, dialect_module
from broker.db.engine import is_postgres
from broker.db.models import Base, Verification, Version

T = TypeVar("T")
M = TypeVar("M", bound=Base)


def dialect_insert(session: Session, model: type[Base]) -> Any:
    """An INSERT with `.on_conflict_do_*` for whichever database the session is on."""
    return dialect_module(session.get_bind().dialect.name).insert(model)


def per_dialect(build: Callable[[ModuleType], T]) -> Callable[[Session], T]:
    """`build(dialect module)` runs once per database kind; the statement is reused (with its cache key)."""
    built: dict[str, T] = {}

    def statement(session: Session) -> T:
        name = session.get_bind().dialect.name
        found = built.get(name)
        if found is None:
            found = built[name] = build(dialect_module(name))
        return found

    return statement


def _insert_unless_present(dialect: ModuleType, table: Any, conflict: Sequence[str], returning: Any) -> Any:
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(conflict)).returning(*returning)


def insert_unless_present(table: Any, conflict: Sequence[str], *returning: Any) -> Callable[[Session], Any]:
    """`INSERT ... ON CONFLICT (conflict) DO NOTHING RETURNING returning`, built once per database kind.
    Execute it with the row's values; no row back means one with the same `conflict` columns was there."""
    return per_dialect(lambda dialect: _insert_unless_present(dialect, table, conflict, returning))


def direct_insert_unless_present(
    table: Any, conflict: Sequence[str], *returning: Any, columns: Sequence[str]
) -> Direct:
    """`insert_unless_present` as a direct statement, taking the `columns` from its parameters."""
    return Direct(
        lambda dialect: _insert_unless_present(dialect, table, conflict, returning), columns=columns
    )


def attach(session: Session, row: M) -> M:
    """Make `row`, built from values just written or read, a persistent object of the session without
    reading it back; attributes left unset load on first access. If the session holds an object for that
    row already (or for a deleted row whose id was reused), that object is kept and takes these values."""
    key = identity_key(instance=row)
    present = session.identity_map.get(key)
    if present is None:
        make_transient_to_detached(row)
        session.add(row)
        return row
    for name, value in row.__dict__.items():
        if not name.startswith("_sa_"):
            set_committed_value(present, name, value)
    return present


def columns_of(model: type[Base]) -> Select[Any]:
    """A SELECT of every column of `model`, in the order `entities` reads them."""
    return select(*inspect(model).columns)


@cache
def column_keys(model: type[Base]) -> tuple[str, ...]:
    """The attribute names of `model`'s columns, in `columns_of`'s order (once per model: `entities` runs
    on every publication and result)."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.columns)


def as_read(model: type[M], keys: Sequence[str], values: Sequence[Any]) -> M:
    """A new `model` object holding `values` as an ORM query's loader leaves them: written into its state,
    not through the constructor, whose attribute events and history were half the cost of a verification
    result's five objects (py-spy: 6.5 % of its CPU). For `attach`."""
    row: M = manager_of_class(model).new_instance()
    instance_dict(row).update(zip(keys, values, strict=True))
    return row


def attach_written(session: Session, model: type[M], **values: Any) -> M:
    """`attach` of an object for a row this transaction just inserted, made of the values written (and the
    ids the database gave) as `as_read` makes one: a publication makes three, a result one."""
    return attach(session, as_read(model, tuple(values), tuple(values.values())))


def entities(session: Session, model: type[M], rows: list[tuple[Any, ...]]) -> list[M]:
    """Rows of a `columns_of(model)` statement as persistent objects of the session, as an ORM query would
    give them (an object the session holds already is the one returned)."""
    keys = column_keys(model)
    return [attach(session, as_read(model, keys, row)) for row in rows]


class Entities:
    """Whole objects of several models (or aliases of them) from one direct SELECT: select `columns`, and
    `objects` makes each row a tuple of persistent objects of the session, one per target, as an ORM query
    of the targets gives them. Columns in `leave_out` (a model's large ones) load on first access."""

    def __init__(self, *targets: Any, leave_out: Mapping[type[Base], Sequence[str]] | None = None) -> None:
        self._layout: list[tuple[type[Base], tuple[str, ...]]] = []
        self.columns: list[Any] = []
        for target in targets:
            model = inspect(target).mapper.class_
            left_out = (leave_out or {}).get(model, ())
            keys = tuple(key for key in column_keys(model) if key not in left_out)
            self._layout.append((model, keys))
            self.columns += [getattr(target, key) for key in keys]

    def objects(self, session: Session, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        found = []
        for row in rows:
            objects = []
            start = 0
            for model, keys in self._layout:
                end = start + len(keys)
                objects.append(attach(session, as_read(model, keys, row[start:end])))
                start = end
            found.append(tuple(objects))
        return found


def insert_ignore(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists. True when this call inserted it."""
    # RETURNING, not rowcount: an ORM-enabled INSERT via the Session reports rowcount -1 on psycopg.
    first_pk = next(iter(inspect(model).primary_key))
    stmt = (
        dialect_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(first_pk)
    )
    return session.execute(stmt).first() is not None


def upsert(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert, or overwrite the `update` columns of the row with the same `conflict` columns."""
    stmt = dialect_insert(session, model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict), set_={col: stmt.excluded[col] for col in update}
    )
    session.execute(stmt)


def next_version_order(session: Session, pacticipant_id: int) -> int:
    """Orders only need to increase per pacticipant; PostgreSQL uses a global sequence to stay race-free."""
    if is_postgres(session):
        return int(session.execute(text("SELECT nextval('version_order_seq')")).scalar_one())
    current = session.execute(
        select(func.max(Version.order)).where(Version.pacticipant_id == pacticipant_id)
    ).scalar()
    return int(current or 0) + 1


def next_version_order_value(dialect: ModuleType) -> ColumnElement[int]:
    """`next_version_order` inside an INSERT (bind `order_pacticipant_id` on SQLite): one statement fewer."""
    if dialect is postgresql:
        return literal_column("nextval('version_order_seq')")
    versions = Version.__table__.c
    return (
        select(func.coalesce(func.max(versions.order), 0) + 1)
        .where(versions.pacticipant_id == bindparam("order_pacticipant_id"))
        .scalar_subquery()
    )


def next_verification_number(session: Session) -> int:
    if is_postgres(session):
        return int(session.execute(text("SELECT nextval('verification_number_seq')")).scalar_one())
    current = session.execute(select(func.max(Verification.number))).scalar()
    return int(current or 0) + 1


def next_verification_number_value(dialect: ModuleType) -> ColumnElement[int]:
    """`next_verification_number` inside an INSERT."""
    if dialect is postgresql:
        return literal_column("nextval('verification_number_seq')")
    return select(func.coalesce(func.max(Verification.__table__.c.number), 0) + 1).scalar_subquery()
