"""Runs triggered webhooks off the request thread, with bounded retries (reference: webhooks/job.rb).

Jobs wait in a time-ordered heap; a couple of worker threads per database run them when due. A failed
attempt is retried after `retry_schedule[n]` seconds until the schedule is used up, so a webhook is tried
at most `len(retry_schedule) + 1` times. Workers exit when idle and start again on the next job.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from broker.answer_cache import generations
from broker.db.engine import make_session_factory, session_scope
from broker.webhooks import repository
from broker.webhooks.execution import execute
from broker.webhooks.models import Webhook, WebhookExecution
from broker.webhooks.settings import WebhookSettings

log = logging.getLogger("broker.webhooks")

WORKERS = 2
IDLE_EXIT_SECONDS = 5.0

STATUS_NOT_RUN = "not_run"
STATUS_RETRYING = "retrying"
STATUS_SUCCESS = "success"
STATUS_FAILURE = "failure"


@dataclass(frozen=True)
class Job:
    triggered_webhook_id: int
    attempt: int
    settings: WebhookSettings


class Dispatcher:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._pending = 0  # queued + running jobs
        self._workers = 0

    def submit(
        self, triggered_webhook_id: int, settings: WebhookSettings, *, delay: float = 0, attempt: int = 0
    ) -> None:
        with self._cond:
            job = Job(triggered_webhook_id, attempt, settings)
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), job))
            self._pending += 1
            while self._workers < WORKERS:
                self._workers += 1
                threading.Thread(target=self._work, name="webhook-dispatcher", daemon=True).start()
            self._cond.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        """True once no job is queued or running (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(timeout=remaining)
            return True

    def _next_job(self) -> Job | None:
        with self._cond:
            while True:
                if not self._heap:
                    if not self._cond.wait(timeout=IDLE_EXIT_SECONDS) and not self._heap:
                        self._workers -= 1
                        return None
                    continue
                due = self._heap[0][0]
                wait = due - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(timeout=wait)

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                self._run(job)
            except Exception:  # a broken job must not kill the worker; the status stays as it was
                log.exception("webhook job for triggered webhook %s failed", job.triggered_webhook_id)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _run(self, job: Job) -> None:
        with session_scope(self._factory) as session:
            triggered = repository.find_triggered(session, job.triggered_webhook_id)
            webhook = session.get(Webhook, triggered.webhook_id) if triggered else None
        if triggered is None or webhook is None:
            log.info("triggered webhook %s is gone (webhook deleted?)", job.triggered_webhook_id)
            return
        schedule = job.settings.retry_schedule
        retry = job.attempt < len(schedule)
        result = execute(
            webhook,
            json.loads(triggered.context),
            job.settings,
            success_message="Successfully executed webhook",
            failure_message=(
                f"Retrying webhook in {schedule[job.attempt]:g} seconds"
                if retry
                else f"Webhook execution failed after {len(schedule) + 1} attempts"
            ),
        )
        status = STATUS_SUCCESS if result.success else (STATUS_RETRYING if retry else STATUS_FAILURE)
        with session_scope(self._factory, write=True) as session:
            generations.changes_nothing_cached(session)
            repository.add_execution(
                session,
                WebhookExecution(triggered_webhook_id=triggered.id, success=result.success, logs=result.logs),
            )
            repository.set_status(session, triggered.id, status)
        log.info("webhook %s for %s: %s", webhook.uuid, triggered.event_name, status)
        if status == STATUS_RETRYING:
            self.submit(triggered.id, job.settings, delay=schedule[job.attempt], attempt=job.attempt + 1)


_dispatchers: weakref.WeakKeyDictionary[Engine, Dispatcher] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def dispatcher_for(engine: Engine) -> Dispatcher:
    """One dispatcher per database (engine), created on first use."""
    with _registry_lock:
        dispatcher = _dispatchers.get(engine)
        if dispatcher is None:
            dispatcher = _dispatchers[engine] = Dispatcher(make_session_factory(engine))
        return dispatcher
