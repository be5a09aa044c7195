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
beyond what it declared.

Besides its own counter (scope = its id), a pacticipant has narrower ones (negative scopes, three per
pacticipant). Two are moved, in addition to its own, by the writes that change what a deployment question
sees of it:
- `deployed(id)`: which of its versions are deployed or released, and what an existing version holds (a
  pact, a revision, a branch or tag published for a version that was already there). A new version moves
  only the pacticipant's own counter: nothing can be deployed from it yet.
- `results(id)`: every verification result of a pact it is a party to, failed or repeated ones included.

A provider's for-verification answer depends on the provider's data and its consumers' (their pacts,
versions, branches, tags, deployments; its own results and branches), so it is cached under the counters
of the provider, of each of its consumers, and the broker-wide one (`for_provider`). A failed or repeated
result changes none of it, so a result moves the provider's own counter only when it is a new success;
and a new success from a provider version of no branch and no tag (a build that only verifies) changes
only the answers to questions that name no provider branch or tag (with one, pending and WIP end with a
success of that branch or tag): it moves the provider's `unbranched_successes` counter instead, which only
those answers are kept under. A branch or tag given to that version later is a write of its own.

A can-i-deploy to an environment (or a matrix between versions named by number) depends on the named
pacticipants' data and results, and of each integrated partner on what is deployed and what the deployed
versions hold: it is cached under the named pacticipants' own and `results` counters, each partner's
`deployed` counter and the broker-wide one (`for_deployment_question`). A provider's new build, a
consumer's feature-branch publication or a result between two other pacticipants leaves it kept.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam, event, text
from sqlalchemy.orm import Session, sessionmaker

from broker.db.direct import Direct, SessionOrConnection, is_write

BROKER_WIDE = 0
Fingerprint = tuple[tuple[int, int], ...]
# ASGI scope key: the counters `broker.api.kept_answers` read for a request whose answer it did not have, so
# the endpoint computes under them instead of reading them a second time.
READ_FOR_REQUEST = "broker.answer_cache.counters"

_DECLARED = "answer_cache_changes"  # session.info: the scopes this transaction declared, if any
_WROTE = "answer_cache_wrote"  # connection.info: this transaction ran an INSERT, UPDATE or DELETE


def changes(session: Session, *pacticipant_ids: int) -> None:
    """This transaction changes answers about these pacticipants (and, through them, their partners')."""
    session.info.setdefault(_DECLARED, set()).update(pacticipant_ids)


# A pacticipant's narrower counters: scope -3 * id - kind (ids are positive, so none is 0, an id, or -1/-2).
_KINDS = 3
_DEPLOYED, _RESULTS, _UNBRANCHED = range(_KINDS)


def _narrow(kind: int, pacticipant_id: int) -> int:
    return -_KINDS * pacticipant_id - kind


def _narrow_sql(kind: int, id_column: str) -> str:
    """`_narrow` in SQL, for the statements that find the scopes by name."""
    return f"-{_KINDS} * {id_column} - {kind}"


def deployed(pacticipant_id: int) -> int:
    """The scope of what a deployment question sees of a pacticipant (its deployed versions' data)."""
    return _narrow(_DEPLOYED, pacticipant_id)


def results(pacticipant_id: int) -> int:
    """The scope of every verification result of the pacts a pacticipant is a party to."""
    return _narrow(_RESULTS, pacticipant_id)


def unbranched_successes(provider_id: int) -> int:
    """The scope of a provider's first successes from versions of no branch and no tag."""
    return _narrow(_UNBRANCHED, provider_id)


def changes_nothing_cached(session: Session) -> None:
    """This transaction writes nothing a cached answer is made of."""
    session.info.setdefault(_DECLARED, set())


# The counters of a provider, of each of its consumers, and the broker-wide one, read by the provider's name
# in one statement (a row with a NULL scope when none of them has moved yet; no row for an unknown name).
# :unbranched adds the provider's `unbranched_successes` counter.
_FOR_PROVIDER = Direct(
    text(
        f"""
    WITH p AS (SELECT id FROM pacticipants WHERE name = :name)
    SELECT p.id, g.scope_id, g.generation
    FROM p LEFT JOIN answer_generations g
        ON g.scope_id IN (0, p.id) OR (:unbranched AND g.scope_id = {_narrow_sql(_UNBRANCHED, "p.id")})
    UNION ALL
    SELECT p.id, g.scope_id, g.generation
    FROM p
    JOIN integrations i ON i.provider_id = p.id
    JOIN answer_generations g ON g.scope_id = i.consumer_id
    """
    )
)


def for_provider(
    session: SessionOrConnection, provider_name: str, *, pending_on_any_success: bool
) -> Fingerprint | None:
    """What a for-verification answer for this provider is computed under; None for an unknown provider.
    `pending_on_any_success`: the question names no provider branch or tag, so any success ends a pact's
    pending status, also from a version of no branch and no tag (`unbranched_successes`)."""
    params = {"name": provider_name, "unbranched": pending_on_any_success}
    rows = _FOR_PROVIDER.rows(session, params)
    if not rows:
        return None
    return tuple(sorted({(scope, generation) for _, scope, generation in rows if scope is not None}))


# The counters a deployment question is computed under (see the module's docstring), read by the named
# pacticipants' names in one statement: how many of the names exist, then each counter that has moved.
_FOR_DEPLOYMENT_QUESTION = Direct(
    text(
        f"""
    WITH named AS (SELECT id FROM pacticipants WHERE name IN :names),
    scopes AS (
        SELECT 0 AS scope_id
        UNION ALL SELECT id FROM named
        UNION ALL SELECT {_narrow_sql(_RESULTS, "id")} FROM named
        UNION ALL SELECT {_narrow_sql(_DEPLOYED, "i.provider_id")}
            FROM integrations i JOIN named n ON i.consumer_id = n.id
        UNION ALL SELECT {_narrow_sql(_DEPLOYED, "i.consumer_id")}
            FROM integrations i JOIN named n ON i.provider_id = n.id
    )
    SELECT (SELECT count(*) FROM named), g.scope_id, g.generation
    FROM (SELECT 1) AS one
    LEFT JOIN answer_generations g ON g.scope_id IN (SELECT scope_id FROM scopes)
    """
    ).bindparams(bindparam("names", expanding=True))
)


def for_deployment_question(session: SessionOrConnection, names: Collection[str]) -> Fingerprint | None:
    """What a can-i-deploy to an environment naming these pacticipants is computed under; None when one
    of them does not exist (the answer is an error, never kept)."""
    wanted = set(names)
    rows = _FOR_DEPLOYMENT_QUESTION.rows(session, {"names": sorted(wanted)})
    if rows[0][0] != len(wanted):
        return None
    return tuple(sorted({(scope, generation) for _, scope, generation in rows if scope is not None}))


@cache
def _bump(count: int) -> Direct:
    values = ", ".join(f"(:s{i}, 1)" for i in range(count))
    return Direct(
        text(
            f"INSERT INTO answer_generations (scope_id, generation) VALUES {values} "
            "ON CONFLICT (scope_id) DO UPDATE SET generation = answer_generations.generation + 1"
        )
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
        _bump(len(ordered)).run(session, {f"s{i}": s for i, s in enumerate(ordered)})


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
        if is_write(statement):
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
