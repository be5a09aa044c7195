"""Counters that tell a cached answer whether what it was computed from has changed, across processes.

`answer_generations` holds a counter per pacticipant and one for the whole broker (scope 0). Every write
transaction moves counters just before it commits, in the same transaction. A reader reads the counters
first and the data after: it may pair old counters with newer data (harmless: the next reader sees the new
counters and computes again), never new counters with old data.

Which counters a write moves:
- What the write declares with `changes(session, *pacticipant_ids)`: the pacticipants whose own data
  it changed (their versions, branches, tags, deployments, the pacts they publish as consumers, the results
  they publish as providers) and both sides of an integration it created.
- Nothing, when it declares `changes_nothing_cached(session)`: webhook logs, a result that repeats one
  already counted.
- The broker-wide counter when it declares nothing: a write nobody thought about (a deletion, a renamed
  pacticipant, a new environment) invalidates every cached answer. Writes are found by the statements the
  session's connection ran (INSERT, UPDATE, DELETE), so no write path can be forgotten.
A declaration speaks for every write of its transaction: a transaction that declares must write nothing
beyond what it declared. Declarations are judged against the answers kept today, for-verification's: a
failed result changes none of those, but would change a can-i-deploy, which would need counters of its own.

A provider's for-verification answer depends on the provider's data and its consumers' (their pacts,
versions, branches, tags, deployments; its own results and branches), so it is cached under the counters
of the provider, of each of its consumers, and the broker-wide one (`for_provider`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Engine, TextClause, event, text
from sqlalchemy.orm import Session, sessionmaker

BROKER_WIDE = 0
Fingerprint = tuple[tuple[int, int], ...]

_DECLARED = "answer_cache_changes"  # session.info: the scopes this transaction declared, if any
_WROTE = "answer_cache_wrote"  # connection.info: this transaction ran an INSERT, UPDATE or DELETE
_WRITES = ("INSERT", "UPDATE", "DELETE")


def changes(session: Session, *pacticipant_ids: int) -> None:
    """This transaction changes answers about these pacticipants (and, through them, their partners')."""
    session.info.setdefault(_DECLARED, set()).update(pacticipant_ids)


def changes_nothing_cached(session: Session) -> None:
    """This transaction writes nothing a cached answer is made of."""
    session.info.setdefault(_DECLARED, set())


# The counters of a provider, of each of its consumers, and the broker-wide one, read by the provider's name
# in one statement (a row with a NULL scope when none of them has moved yet; no row for an unknown name).
_FOR_PROVIDER = text(
    """
    WITH p AS (SELECT id FROM pacticipants WHERE name = :name)
    SELECT p.id, g.scope_id, g.generation
    FROM p LEFT JOIN answer_generations g ON g.scope_id IN (0, p.id)
    UNION ALL
    SELECT p.id, g.scope_id, g.generation
    FROM p
    JOIN integrations i ON i.provider_id = p.id
    JOIN answer_generations g ON g.scope_id = i.consumer_id
    """
)


def for_provider(session: Session, provider_name: str) -> Fingerprint | None:
    """What a for-verification answer for this provider is computed under; None for an unknown provider."""
    rows = session.execute(_FOR_PROVIDER, {"name": provider_name}).all()
    if not rows:
        return None
    return tuple(sorted({(scope, generation) for _, scope, generation in rows if scope is not None}))


@cache
def _bump(count: int) -> TextClause:
    values = ", ".join(f"(:s{i}, 1)" for i in range(count))
    return text(
        f"INSERT INTO answer_generations (scope_id, generation) VALUES {values} "
        "ON CONFLICT (scope_id) DO UPDATE SET generation = answer_generations.generation + 1"
    )


def _before_commit(session: Session) -> None:
    declared: set[int] | None = session.info.pop(_DECLARED, None)
    if not session.in_transaction():
        return
    session.flush()  # the ORM's pending changes are written at commit, after this event: now instead
    connection = session.connection()
    if not connection.info.get(_WROTE):
        return
    scopes = {BROKER_WIDE} if declared is None else declared
    if scopes:
        # In id order: two transactions moving the same counters take their row locks in the same order.
        ordered = sorted(scopes)
        session.execute(_bump(len(ordered)), {f"s{i}": s for i, s in enumerate(ordered)})


def _after_soft_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_DECLARED, None)  # what a rolled-back transaction declared is not the next one's


def watch_sessions(factory: sessionmaker[Session]) -> None:
    """Sessions of `factory` move the counters of what they wrote when they commit."""
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_soft_rollback", _after_soft_rollback)


def watch_engine(engine: Engine) -> None:
    """Connections of `engine` note whether their transaction has written."""

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITES:
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        if not conn.invalidated:  # a dropped connection has no info left; the pool's reset clears it
            conn.info.pop(_WROTE, None)

    @event.listens_for(engine.pool, "reset")
    def _reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        if record is not None:
            record.info.pop(_WROTE, None)
