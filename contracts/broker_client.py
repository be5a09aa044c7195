"""A small, typed client of the official Pact Broker HTTP API.

It navigates from the index (`GET /`) by HAL relation names, as the official clients do, so it works against
any Pact Broker (ours, the Ruby one, PactFlow). The one path it builds itself is `/matrix`, which the index
does not advertise and which the official clients also build from the base URL.

    with BrokerClient("http://localhost:9292") as broker:
        broker.publish_contracts("gateway", "1a2b3c", "main", pact_files=[Path("pacts/gateway-sample.json")])
        result = broker.can_i_deploy("gateway", "1a2b3c", to_environment="production")
        if result.deployable:
            broker.record_deployment("gateway", "1a2b3c", "production")
"""

from __future__ import annotations

import base64
import functools
import json
import re
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

__all__ = ["BrokerClient", "BrokerError", "CanIDeployResult", "MatrixRow", "PublishResult"]

_HAL = "application/hal+json, application/json"
_TEMPLATE_VAR = re.compile(r"\{(\w+)\}")


class BrokerError(RuntimeError):
    """The broker refused a request, or could not be reached. `message` is the broker's own explanation."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        self.message = message
        self.status = status
        self.url = url
        where = f" ({status} from {url})" if status is not None else (f" ({url})" if url else "")
        super().__init__(f"{message}{where}")


@dataclass(frozen=True)
class MatrixRow:
    """One consumer version / provider version pair of the matrix, and whether the pact was verified."""

    consumer: str
    consumer_version: str | None
    provider: str
    provider_version: str | None
    verified: bool | None  # None: no verification result for this pair
    pact_url: str | None = None
    verification_url: str | None = None
    ignored: bool = False


@dataclass(frozen=True)
class CanIDeployResult:
    """The broker's verdict: `deployable` is None when it cannot tell yet (results missing)."""

    deployable: bool | None
    reason: str
    rows: list[MatrixRow] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PublishResult:
    notices: list[str]
    pact_urls: list[str]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


class BrokerClient:
    """Talks to one Pact Broker. Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if token and (username or password):
            raise ValueError("give the broker either a token or a username/password, not both")
        self.base_url = base_url.rstrip("/")
        headers = {"Accept": _HAL}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        auth = httpx.BasicAuth(username, password or "") if username else None
        self._http = httpx.Client(
            headers=headers, auth=auth, timeout=timeout, transport=transport, verify=_tls_context()
        )
        self._index: dict[str, Any] | None = None

    # -- plumbing -------------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise BrokerError(f"cannot reach the Pact Broker: {exc}", url=url) from exc
        if response.status_code >= 400:
            raise BrokerError(_error_message(response), status=response.status_code, url=url)
        return response

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, url, **kwargs)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise BrokerError(
                f"expected JSON, got {response.headers.get('content-type')!r}",
                status=response.status_code,
                url=url,
            ) from exc
        return body if isinstance(body, dict) else {"value": body}

    def index(self) -> dict[str, Any]:
        """The broker's index resource (cached): the map of every relation this client follows."""
        if self._index is None:
            self._index = self._json("GET", f"{self.base_url}/")
        return self._index

    def link(self, relation: str, **variables: str) -> str:
        """The href of an index relation, with its `{variables}` expanded and URL-encoded."""
        links = self.index().get("_links", {})
        if relation not in links:
            raise BrokerError(
                f"the broker at {self.base_url} does not offer {relation!r}; is it a Pact Broker >= 2.86?"
            )
        return expand(_href(links[relation]), **variables)

    # -- publishing -----------------------------------------------------------------------------------------

    def publish_contracts(
        self,
        consumer: str,
        version: str,
        branch: str | None,
        pact_files: Iterable[str | Path] | None = None,
        pacts: Iterable[Mapping[str, Any]] | None = None,
        build_url: str | None = None,
        tags: Sequence[str] = (),
        *,
        on_conflict: str = "overwrite",
    ) -> PublishResult:
        """Publish pacts (files or already-parsed documents) for one consumer version, in one request."""
        documents = [json.loads(Path(p).read_text(encoding="utf-8")) for p in pact_files or ()]
        documents += [dict(p) for p in pacts or ()]
        if not documents:
            raise ValueError(f"nothing to publish for {consumer} {version}: no pact files and no pacts given")
        contracts = []
        for doc in documents:
            consumer_name = doc.get("consumer", {}).get("name")
            provider_name = doc.get("provider", {}).get("name")
            if consumer_name != consumer:
                raise ValueError(f"a pact of consumer {consumer_name!r} cannot be published as {consumer!r}")
            content = json.dumps(doc, separators=(",", ":")).encode()
            contracts.append(
                {
                    "consumerName": consumer,
                    "providerName": provider_name,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(content).decode(),
                    "onConflict": on_conflict,
                }
            )
        body: dict[str, Any] = {
            "pacticipantName": consumer,
            "pacticipantVersionNumber": version,
            "contracts": contracts,
        }
        if branch:
            body["branch"] = branch
        if tags:
            body["tags"] = list(tags)
        if build_url:
            body["buildUrl"] = build_url
        result = self._json("POST", self.link("pb:publish-contracts"), json=body)
        links = result.get("_links", {}).get("pb:contracts", [])
        return PublishResult(
            notices=_notice_texts(result), pact_urls=[_href(link) for link in _as_list(links)], raw=result
        )

    def latest_pact(self, provider: str, consumer: str) -> dict[str, Any]:
        """The latest pact between `consumer` and `provider`, as the broker serves it (with `_links`)."""
        listing = self._json("GET", self.link("pb:latest-provider-pacts", provider=provider))
        for link in _as_list(listing.get("_links", {}).get("pb:pacts", [])):
            if link.get("name") == consumer:
                return self._json("GET", _href(link))
        raise BrokerError(f"no pact between {consumer} and {provider} has been published")

    def pacts_for_verification(
        self,
        provider: str,
        selectors: Sequence[Mapping[str, Any]] = (),
        *,
        provider_branch: str | None = None,
        include_pending: bool = False,
        wip_since: str | None = None,
    ) -> list[dict[str, Any]]:
        """The pacts the broker wants `provider` to verify (`_embedded.pacts`), asked as the verifier does."""
        body: dict[str, Any] = {
            "consumerVersionSelectors": list(selectors),
            "includePendingStatus": include_pending,
        }
        if provider_branch:
            body["providerVersionBranch"] = provider_branch
        if wip_since:
            body["includeWipPactsSince"] = wip_since
        try:
            url = self.link("pb:provider-pacts-for-verification", provider=provider)
            found = self._json("POST", url, json=body)
        except BrokerError as exc:
            if exc.status == 404:  # the provider is unknown: nobody has published a pact for it yet
                return []
            raise
        return list(found.get("_embedded", {}).get("pacts", []))

    def get(self, href: str) -> dict[str, Any]:
        """GET any resource the broker linked to (a pact, a verification result...)."""
        return self._json("GET", href)

    # -- matrix and can-i-deploy ---------------------------------------------------------------------------

    def matrix(
        self,
        selectors: Sequence[Mapping[str, str | bool]],
        *,
        latestby: str | None = None,
        environment: str | None = None,
        latest: bool | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> CanIDeployResult:
        """`GET /matrix` with Rack-style `q[][key]=value` selectors, e.g. `[{"pacticipant": "sample"}]`."""
        params: list[tuple[str, str]] = []
        for selector in selectors:
            if "pacticipant" not in selector:
                raise ValueError(f"a matrix selector needs a pacticipant: {dict(selector)!r}")
            # `pacticipant` first: Rack starts a new selector each time a key repeats.
            for key in ("pacticipant", *sorted(k for k in selector if k != "pacticipant")):
                value = selector[key]
                params.append((f"q[][{key}]", str(value).lower() if isinstance(value, bool) else str(value)))
        if latestby:
            params.append(("latestby", latestby))
        if latest is not None:
            params.append(("latest", str(latest).lower()))
        if tag:
            params.append(("tag", tag))
        if environment:
            params.append(("environment", environment))
        if limit is not None:
            params.append(("limit", str(limit)))
        return _matrix_result(self._json("GET", f"{self.base_url}/matrix", params=params))

    def can_i_deploy(
        self,
        pacticipant: str,
        version: str,
        to_environment: str,
        *,
        retry_while_unknown: int = 0,
        retry_interval: float = 10.0,
    ) -> CanIDeployResult:
        """May this version of `pacticipant` go to `to_environment`? The same query as `pact broker
        can-i-deploy --pacticipant P --version V --to-environment E` (latestby=cvpv)."""
        for attempt in range(retry_while_unknown + 1):
            result = self.matrix(
                [{"pacticipant": pacticipant, "version": version}],
                latestby="cvpv",
                environment=to_environment,
            )
            if result.deployable is not None or attempt == retry_while_unknown:
                return result
            time.sleep(retry_interval)
        raise AssertionError("unreachable")

    # -- environments and deployments -----------------------------------------------------------------------

    def environments(self) -> list[dict[str, Any]]:
        body = self._json("GET", self.link("pb:environments"))
        return list(body.get("_embedded", {}).get("environments", []))

    def ensure_environment(self, name: str, production: bool = False, display_name: str | None = None) -> str:
        """The UUID of environment `name`, creating it if the broker does not know it yet."""
        for environment in self.environments():
            if environment.get("name") == name:
                return str(environment["uuid"])
        body: dict[str, Any] = {"name": name, "production": production}
        if display_name:
            body["displayName"] = display_name
        created = self._json("POST", self.link("pb:environments"), json=body)
        return str(created["uuid"])

    def version(self, pacticipant: str, version: str) -> dict[str, Any]:
        try:
            return self._json(
                "GET", self.link("pb:pacticipant-version", pacticipant=pacticipant, version=version)
            )
        except BrokerError as exc:
            if exc.status == 404:
                raise BrokerError(
                    f"version {version} of {pacticipant} is unknown to the broker; publish its pacts or "
                    "verification results first",
                    status=404,
                    url=exc.url,
                ) from exc
            raise

    def record_deployment(
        self, pacticipant: str, version: str, environment: str, application_instance: str | None = None
    ) -> dict[str, Any]:
        """Record that `version` of `pacticipant` now runs in `environment` (replacing the previous one)."""
        body = {"applicationInstance": application_instance} if application_instance else {}
        return self._record("pb:record-deployment", pacticipant, version, environment, body)

    def record_release(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]:
        """Record that `version` of `pacticipant` was released to `environment` (alongside earlier ones)."""
        return self._record("pb:record-release", pacticipant, version, environment, {})

    def _record(
        self, relation: str, pacticipant: str, version: str, environment: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        links = _as_list(self.version(pacticipant, version).get("_links", {}).get(relation, []))
        for link in links:
            if link.get("name") == environment:
                return self._json("POST", _href(link), json=body)
        known = ", ".join(str(link.get("name")) for link in links) or "none"
        raise BrokerError(f"environment {environment!r} does not exist on the broker (known: {known})")


# -- helpers -----------------------------------------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, built once: httpx reads the whole CA bundle for every client it makes
    (about 0.1 s), and a pipeline makes a client per verification, publish and release gate."""
    return httpx.create_ssl_context()


def expand(href: str, **variables: str) -> str:
    """Expand a simple HAL URI template (`{name}`), URL-encoding each value as one path segment."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise ValueError(f"the link {href} needs a value for {{{name}}}")
        return quote(str(variables[name]), safe="")

    return _TEMPLATE_VAR.sub(replace, href)


def _href(link: Any) -> str:
    if isinstance(link, list):
        link = link[0]
    return str(link["href"])


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return list(value or [])


def _notice_texts(body: Mapping[str, Any]) -> list[str]:
    return [str(n.get("text", "")) for n in body.get("notices", []) if isinstance(n, dict)]


def _error_message(response: httpx.Response) -> str:
    """The broker's own words: `errors` (dict or list), `error.message`, error notices, or problem+json."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:500]
    parts: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, dict):
        for key, messages in errors.items():
            for message in _as_strings(messages):
                parts.append(f"{key}: {message}")
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                parts.append(str(item.get("detail") or item.get("title") or item))
            else:
                parts.append(str(item))
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        parts.append(str(error["message"]))
    elif isinstance(error, str):
        parts.append(error)
    for notice in body.get("notices", []):
        if isinstance(notice, dict) and notice.get("type") in ("error", "danger"):
            parts.append(str(notice.get("text")))
    if not parts and body.get("detail"):
        parts.append(str(body["detail"]))
    if not parts and body.get("title"):
        parts.append(str(body["title"]))
    # De-duplicate while keeping order: brokers often say the same thing in `errors` and `notices`.
    return "; ".join(dict.fromkeys(parts)) or f"{response.status_code} {response.reason_phrase}"


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _as_strings(v)]
    if isinstance(value, dict):
        return [f"{k}: {s}" for k, v in value.items() for s in _as_strings(v)]
    return [str(value)]


def _matrix_result(body: Mapping[str, Any]) -> CanIDeployResult:
    summary = body.get("summary", {}) or {}
    rows = []
    for row in body.get("matrix", []) or []:
        consumer = row.get("consumer") or {}
        provider = row.get("provider") or {}
        verification = row.get("verificationResult")
        rows.append(
            MatrixRow(
                consumer=str(consumer.get("name")),
                consumer_version=(consumer.get("version") or {}).get("number"),
                provider=str(provider.get("name")),
                provider_version=(provider.get("version") or {}).get("number"),
                verified=None if not verification else bool(verification.get("success")),
                pact_url=((row.get("pact") or {}).get("_links", {}).get("self") or {}).get("href"),
                verification_url=((verification or {}).get("_links", {}).get("self") or {}).get("href"),
                ignored=bool(row.get("ignored", False)),
            )
        )
    deployable = summary.get("deployable")
    return CanIDeployResult(
        deployable=None if deployable is None else bool(deployable),
        reason=str(summary.get("reason", "")),
        rows=rows,
        notices=_notice_texts(body),
        raw=body,
    )
