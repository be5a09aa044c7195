"""Provider verification: replay the consumers' pacts against the real provider app.

    verification = ProviderVerification("sample", app_factory=lambda: create_app(SampleSettings()))

    @verification.state("a sample exists")
    def sample_exists(parameters: dict[str, Any]) -> Callable[[], None] | None:
        store.add(Sample(id=parameters["id"]))
        return lambda: store.remove(parameters["id"])  # optional teardown

    @verification.message("an event of type sample.stored")
    def sample_stored(parameters: dict[str, Any]) -> dict[str, Any]:
        return {"type": "sample.stored", "sampleId": parameters.get("id", "S-1")}

    def test_sample_honours_its_consumers(tmp_path):
        verification.verify(pact_dir="pacts")                                   # local files, or
        verification.verify(broker_url=url, provider_version=sha, publish=True)  # the broker's selection

The app runs under uvicorn in a thread on a free port of 127.0.0.1; HTTP interactions and message
interactions are verified by two separate `Verifier`s (pact-python cannot mix them in one, issue #1456).
A failed verification raises `VerificationFailed` whose message names each failed interaction and mismatch.
"""

from __future__ import annotations

import inspect
import json
import socketserver
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from pact import Verifier
from pact import _server as _pact_callbacks
from pact.types import Message

from contracts._serving import serve_in_thread
from contracts.broker_client import BrokerClient
from contracts.settings import BrokerSettings, PactDirSettings, VerificationSettings
from contracts.versioning import detect_version

__all__ = [
    "DEFAULT_SELECTORS",
    "InteractionResult",
    "ProviderVerification",
    "VerificationFailed",
    "VerificationResult",
]

StateHandler = Callable[[dict[str, Any]], Callable[[], None] | None]
MessageProducer = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])

# Pact Nirvana's recommended selection: what is on the consumers' main branch, what is on the branch of the
# same name as the provider's, and what is deployed or released anywhere.
DEFAULT_SELECTORS: tuple[dict[str, Any], ...] = (
    {"mainBranch": True},
    {"matchingBranch": True},
    {"deployedOrReleased": True},
)
DEFAULT_WIP_SINCE = "2020-01-01"

# pact-python serves state and message callbacks with socketserver, whose `serve_forever` polls for shutdown
# every 0.5 s: each verification waited that out once per callback server on its way out (2-3 s of the
# platform's verification). A 20 ms poll ends them promptly for no measurable CPU.
_CALLBACK_POLL_S = 0.02


def _serve_until_shutdown(server: socketserver.BaseServer, poll_interval: float = _CALLBACK_POLL_S) -> None:
    socketserver.BaseServer.serve_forever(server, poll_interval)


if hasattr(_pact_callbacks, "HandlerHttpServer"):
    _pact_callbacks.HandlerHttpServer.serve_forever = _serve_until_shutdown  # type: ignore[method-assign,assignment]


@dataclass(frozen=True)
class InteractionResult:
    consumer: str
    description: str
    states: list[str]
    success: bool
    pending: bool
    mismatches: list[str] = field(default_factory=list)

    def describe(self) -> str:
        given = f" (given {', '.join(self.states)})" if self.states else ""
        return f"{self.consumer} -> {self.description!r}{given}"


@dataclass(frozen=True)
class VerificationResult:
    provider: str
    success: bool
    interactions: list[InteractionResult]
    output: str
    errors: list[str] = field(default_factory=list)
    published: bool = False
    provider_version: str | None = None

    @property
    def failures(self) -> list[InteractionResult]:
        return [i for i in self.interactions if not i.success and not i.pending]

    @property
    def pending_failures(self) -> list[InteractionResult]:
        """Failures of pending pacts: reported, but they do not fail the provider's build (Pact's rule for
        contracts it has never verified yet); can-i-deploy still blocks the consumer."""
        return [i for i in self.interactions if not i.success and i.pending]

    def report(self) -> str:
        """A human summary: one line per failed interaction, then its mismatches."""
        total = len(self.interactions)
        if self.success:
            lines = [f"provider {self.provider!r} honours all {total} interaction(s)"]
            if self.pending_failures:
                lines[0] += f" except {len(self.pending_failures)} of pending pacts (not counted)"
        else:
            failed = len(self.failures)
            lines = [f"provider {self.provider!r} failed verification: {failed} of {total} interaction(s)"]
        for label, items in (("FAILED", self.failures), ("PENDING, FAILED", self.pending_failures)):
            for failure in items:
                lines.append(f"  {label} {failure.describe()}")
                lines.extend(f"      {m}" for m in failure.mismatches)
        lines.extend(f"  ERROR {e}" for e in self.errors)
        return "\n".join(lines)


class VerificationFailed(AssertionError):
    """The provider does not honour its consumers' pacts; `result` holds the details."""

    def __init__(self, result: VerificationResult) -> None:
        self.result = result
        super().__init__(result.report())


class ProviderVerification:
    """Everything needed to verify one provider: its app, its provider states, its message producers."""

    def __init__(self, provider: str, app_factory: Callable[[], Any] | None = None) -> None:
        self.provider = provider
        self.app_factory = app_factory
        self.app: Any = None  # the app of the running verification, for state handlers that need it
        self._states: dict[str, StateHandler] = {}
        self._messages: dict[str, MessageProducer] = {}
        self._teardowns: dict[str, list[Callable[[], None]]] = {}
        self._callback_errors: list[str] = []
        self._lock = threading.Lock()

    # -- registration ------------------------------------------------------------------------------

    def state(self, name: str) -> Callable[[F], F]:
        """Register the handler of the provider state `name` (exact text). It receives the state's
        parameters and may return a teardown function, called after the interaction."""

        def register(function: F) -> F:
            if name in self._states:
                raise ValueError(f"provider state {name!r} of {self.provider!r} already has a handler")
            self._states[name] = function
            return function

        return register

    def message(self, description: str) -> Callable[[F], F]:
        """Register the producer of the message interaction `description` (exact text). It may take the
        provider-state parameters and returns the body (dict/list → JSON, str, bytes) or (body, metadata)."""

        def register(function: F) -> F:
            if description in self._messages:
                raise ValueError(f"message {description!r} of {self.provider!r} already has a producer")
            self._messages[description] = function
            return function

        return register

    # -- verification ------------------------------------------------------------------------------

    def verify(
        self,
        pact_dir: str | Path | None = None,
        *,
        broker_url: str | None = None,
        broker_username: str | None = None,
        broker_password: str | None = None,
        broker_token: str | None = None,
        provider_version: str | None = None,
        provider_branch: str | None = None,
        publish: bool | None = None,
        selectors: Sequence[Mapping[str, Any]] = DEFAULT_SELECTORS,
        include_pending: bool = True,
        wip_since: str | date | None = DEFAULT_WIP_SINCE,
        consumers: Sequence[str] | None = None,
        build_url: str | None = None,
        raises: bool = True,
    ) -> VerificationResult:
        """Verify the pacts of `pact_dir` (files whose provider is this one), or those the broker selects.

        With neither `pact_dir` nor `broker_url`: the broker of `PACT_BROKER_BASE_URL` if set, else the local
        folder `PACT_DIR` (default `pacts/`). With `publish` (default: `PACT_PUBLISH_VERIFICATION_RESULTS`),
        results go to the broker under `provider_version`/`provider_branch` (default: `PACT_PROVIDER_VERSION`
        / `PACT_PROVIDER_BRANCH`, else detected from CI or git). `consumers` restricts the verification to
        those consumers. Raises `VerificationFailed` on failure unless `raises=False`.
        """
        defaults = VerificationSettings()
        if pact_dir is None and broker_url is None:
            settings = BrokerSettings()
            broker_url = settings.base_url
            broker_username = broker_username or settings.username
            broker_password = broker_password or settings.password
            broker_token = broker_token or settings.token
            if broker_url is None:
                pact_dir = PactDirSettings().pact_dir or Path("pacts")
        if publish is None:
            publish = defaults.publish_verification_results and broker_url is not None
        if publish and broker_url is None:
            raise ValueError("results can only be published to a broker: give broker_url")
        provider_version = provider_version or defaults.provider_version
        provider_branch = provider_branch or defaults.provider_branch
        if (publish or broker_url) and (provider_version is None or provider_branch is None):
            detected = detect_version()
            provider_version = provider_version or detected.number
            provider_branch = provider_branch or detected.branch
            build_url = build_url or detected.build_url

        plan: list[tuple[Literal["http", "message"], list[Path], list[str] | None]]
        if pact_dir is not None:
            http_sources, message_sources = self._local_pacts(Path(pact_dir), consumers)
            plan = [("http", http_sources, None), ("message", message_sources, None)]
        else:
            assert broker_url is not None
            http_consumers, message_consumers = self._broker_consumers(
                broker_url,
                broker_username,
                broker_password,
                broker_token,
                selectors,
                provider_branch,
                consumers,
                include_pending=include_pending,
                wip_since=wip_since,
            )
            plan = [("http", [], http_consumers), ("message", [], message_consumers)]

        results: list[VerificationResult] = []
        for kind, sources, consumer_filter in plan:
            if pact_dir is not None and not sources:
                continue
            if consumer_filter is not None and not consumer_filter:
                continue
            verifier = self._verifier(kind)
            for source in sources:
                verifier.add_source(source)
            if broker_url is not None:
                self._add_broker_source(
                    verifier,
                    broker_url,
                    broker_username,
                    broker_password,
                    broker_token,
                    selectors,
                    provider_branch,
                    include_pending,
                    wip_since,
                )
                if consumer_filter:
                    verifier.filter_consumers(*consumer_filter)
                if publish:
                    assert provider_version is not None
                    verifier.set_publish_options(
                        version=provider_version, url=build_url, branch=provider_branch
                    )
            results.append(self._run(verifier, kind))

        result = _combine(self.provider, results, published=publish, provider_version=provider_version)
        if raises and not result.success:
            raise VerificationFailed(result)
        return result

    # -- sources -----------------------------------------------------------------------------------

    def _local_pacts(self, pact_dir: Path, consumers: Sequence[str] | None) -> tuple[list[Path], list[Path]]:
        if not pact_dir.is_dir():
            raise FileNotFoundError(f"pact folder {pact_dir} does not exist")
        http: list[Path] = []
        messages: list[Path] = []
        for path in sorted(pact_dir.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("provider", {}).get("name") != self.provider:
                continue
            consumer = doc.get("consumer", {}).get("name")
            if consumers is not None and consumer not in consumers:
                continue
            kind = _pact_kind(doc, path.name)
            (messages if kind == "message" else http).append(path)
        return http, messages

    def _broker_consumers(
        self,
        broker_url: str,
        username: str | None,
        password: str | None,
        token: str | None,
        selectors: Sequence[Mapping[str, Any]],
        provider_branch: str | None,
        consumers: Sequence[str] | None,
        *,
        include_pending: bool,
        wip_since: str | date | None,
    ) -> tuple[list[str], list[str]]:
        """Which consumers of the broker's selection send HTTP requests and which consume messages, asked
        as the verifier will ask, so each pact goes to the `Verifier` of its kind."""
        http: set[str] = set()
        messages: set[str] = set()
        with BrokerClient(broker_url, username, password, token) as broker:
            selection = broker.pacts_for_verification(
                self.provider,
                _usable_selectors(selectors, provider_branch),
                provider_branch=provider_branch,
                include_pending=bool(provider_branch) and include_pending,
                wip_since=str(wip_since) if provider_branch and wip_since is not None else None,
            )
            for found in selection:
                doc = broker.get(found["_links"]["self"]["href"])
                consumer = doc.get("consumer", {}).get("name")
                if consumers is not None and consumer not in consumers:
                    continue
                (messages if _pact_kind(doc, consumer) == "message" else http).add(consumer)
        return sorted(http), sorted(messages)

    def _add_broker_source(
        self,
        verifier: Verifier,
        url: str,
        username: str | None,
        password: str | None,
        token: str | None,
        selectors: Sequence[Mapping[str, Any]],
        provider_branch: str | None,
        include_pending: bool,
        wip_since: str | date | None,
    ) -> None:
        if token:
            builder = verifier.broker_source(url, token=token, selector=True, use_env=False)
        else:
            builder = verifier.broker_source(
                url, username=username, password=password, selector=True, use_env=False
            )
        usable = _usable_selectors(selectors, provider_branch)
        for selector in usable:
            builder.consumer_version(**{_snake(k): v for k, v in selector.items()})
        if provider_branch:
            builder.provider_branch(provider_branch)
            # The broker refuses pending/WIP without a provider branch: they are defined per branch.
            if include_pending:
                builder.include_pending()
            if wip_since is not None:
                builder.include_wip_since(wip_since)
        else:
            builder.exclude_pending().exclude_wip()
        builder.build()
        verifier.set_error_on_empty_pact(enabled=False)  # a provider nobody consumes yet verifies nothing

    # -- running -----------------------------------------------------------------------------------

    def _verifier(self, kind: Literal["http", "message"]) -> Verifier:
        if kind == "message":
            # pact-python's message relay listens on localhost; the verifier must name the same host.
            return (
                Verifier(self.provider, host="localhost")
                .message_handler(self._produce_message)
                .state_handler(self._handle_state, teardown=True)
            )
        return Verifier(self.provider, host="127.0.0.1").state_handler(self._handle_state, teardown=True)

    def _run(self, verifier: Verifier, kind: Literal["http", "message"]) -> VerificationResult:
        self._callback_errors = []
        context = self._serving() if kind == "http" else nullcontext("")
        crashed: str | None = None
        with context as url:
            if url:
                verifier.add_transport(url=url)
            try:
                verifier.verify()
            except RuntimeError as exc:
                crashed = str(exc)  # the core reports failures this way; the details are in its results
        return _parse(self.provider, verifier, crashed, list(self._callback_errors))

    @contextmanager
    def _serving(self) -> Iterator[str]:
        if self.app_factory is None:
            raise ValueError(
                f"provider {self.provider!r} has HTTP consumers: give ProviderVerification an app_factory"
            )
        self.app = self.app_factory()
        try:
            # Nothing calls the app once the verifier is done: no need to wait while uvicorn stops.
            with serve_in_thread(self.app, wait_for_stop=False) as url:
                yield url
        finally:
            self.app = None

    # -- callbacks from the Pact core (they run in pact-python's callback server thread)

    def _handle_state(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        if not state:  # the core's generic set-up/tear-down around interactions without states
            return
        parameters = dict(parameters or {})
        key = f"{state}\0{json.dumps(parameters, sort_keys=True, default=str)}"
        if action == "teardown":
            with self._lock:
                teardowns = self._teardowns.pop(key, [])
            for undo in reversed(teardowns):
                undo()
            return
        handler = self._states.get(state)
        if handler is None:
            known = ", ".join(repr(s) for s in sorted(self._states)) or "none"
            self._callback_errors.append(
                f"no handler for provider state {state!r} of {self.provider!r} (known states: {known})"
            )
            return
        try:
            teardown = handler(parameters)
        except Exception as exc:
            # Recorded, not raised: the core retries a failing state call for about two minutes.
            self._callback_errors.append(f"provider state {state!r} failed: {type(exc).__name__}: {exc}")
            return
        if callable(teardown):
            with self._lock:
                self._teardowns.setdefault(key, []).append(teardown)

    def _produce_message(self, name: str, metadata: dict[str, Any] | None) -> Message:
        producer = self._messages.get(name)
        if producer is None:
            known = ", ".join(repr(m) for m in sorted(self._messages)) or "none"
            self._callback_errors.append(
                f"no producer for message {name!r} of {self.provider!r} (known messages: {known})"
            )
            return Message(contents=b"", metadata=None, content_type="application/json")
        parameters: dict[str, Any] = {}
        for state in (metadata or {}).get("providerStates", []) or []:
            parameters.update(state.get("params") or {})
        try:
            produced = producer(parameters) if _takes_argument(producer) else producer()
        except Exception as exc:
            self._callback_errors.append(f"message {name!r} producer failed: {type(exc).__name__}: {exc}")
            return Message(contents=b"", metadata=None, content_type="application/json")
        return _as_message(produced)


# -- helpers ---------------------------------------------------------------------------------------


def _pact_kind(doc: Mapping[str, Any], where: str) -> Literal["http", "message"]:
    interactions = list(doc.get("interactions", [])) + list(doc.get("messages", []))
    kinds = {
        "message" if "Message" in str(i.get("type", "Synchronous/HTTP")) else "http" for i in interactions
    }
    if "messages" in doc:
        kinds.add("message")
    if len(kinds) > 1:
        raise ValueError(
            f"pact {where} mixes HTTP and message interactions; give messages their own consumer name "
            "(pact-python cannot verify both kinds in one run)"
        )
    return "message" if kinds == {"message"} else "http"


def _usable_selectors(
    selectors: Sequence[Mapping[str, Any]], provider_branch: str | None
) -> list[dict[str, Any]]:
    # matchingBranch means "the consumer branch named like the provider's": meaningless without one.
    return [dict(s) for s in selectors if provider_branch or not s.get("matchingBranch")]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _takes_argument(function: Callable[..., Any]) -> bool:
    try:
        return bool(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return True


def _as_message(produced: Any) -> Message:
    metadata: dict[str, Any] | None = None
    if isinstance(produced, tuple):
        produced, metadata = produced
    if isinstance(produced, dict) and "contents" in produced and isinstance(produced["contents"], bytes):
        return Message(
            contents=produced["contents"],
            metadata=produced.get("metadata"),
            content_type=produced.get("content_type"),
        )
    if isinstance(produced, bytes):
        return Message(contents=produced, metadata=metadata, content_type="application/octet-stream")
    if isinstance(produced, str):
        return Message(contents=produced.encode(), metadata=metadata, content_type="text/plain")
    return Message(contents=json.dumps(produced).encode(), metadata=metadata, content_type="application/json")


def _parse(
    provider: str, verifier: Verifier, crashed: str | None, callback_errors: list[str]
) -> VerificationResult:
    try:
        data = verifier.results
    except Exception:  # the core produced no JSON (e.g. it could not fetch pacts)
        data = {}
    interactions = []
    for item in data.get("interactionResults", []) or []:
        success = item.get("result") == "OK"
        interactions.append(
            InteractionResult(
                consumer=str(item.get("consumer", "?")),
                description=str(item.get("description", "?")),
                states=[str(s) for s in item.get("providerStates", []) or []],
                success=success,
                pending=bool(item.get("pending", False)),
                mismatches=[] if success else _mismatch_lines(item.get("mismatch")),
            )
        )
    output = verifier.output(strip_ansi=True)
    errors = list(dict.fromkeys(callback_errors))
    # A missing or failing state handler fails the run even if the interaction happened to match.
    success = bool(data.get("result", crashed is None)) and crashed is None and not errors
    if not success and not errors and not any(not i.success and not i.pending for i in interactions):
        # Failed before any interaction ran (no pacts, broker unreachable...): keep the core's explanation.
        errors.append(crashed or "verification failed")
        errors.extend(line for line in output.splitlines() if "error" in line.lower())
    return VerificationResult(
        provider=provider, success=success, interactions=interactions, output=output, errors=errors
    )


def _mismatch_lines(mismatch: Any) -> list[str]:
    if not isinstance(mismatch, dict):
        return [] if mismatch is None else [str(mismatch)]
    if mismatch.get("type") == "error" or ("message" in mismatch and "mismatches" not in mismatch):
        return [f"error: {mismatch.get('message')}"]
    lines = []
    for m in mismatch.get("mismatches", []) or []:
        kind = str(m.get("type", "Mismatch")).removesuffix("Mismatch").lower() or "mismatch"
        where = m.get("path") or m.get("key") or ""
        text = m.get("mismatch") or m.get("description") or ""
        detail = ""
        if "expected" in m or "actual" in m:
            detail = f" (expected {m.get('expected')}, actual {m.get('actual')})"
        lines.append(f"{kind} {where}: {text}{detail}".replace("  ", " "))
    return lines


def _combine(
    provider: str, results: list[VerificationResult], *, published: bool, provider_version: str | None
) -> VerificationResult:
    return VerificationResult(
        provider=provider,
        success=all(r.success for r in results),
        interactions=[i for r in results for i in r.interactions],
        output="\n".join(r.output for r in results),
        errors=[e for r in results for e in r.errors],
        published=published,
        provider_version=provider_version,
    )
