"""An ASGI wrapper that turns the client pact's placeholder paths into our real URLs (reference:
pact_broker `spec/service_consumers/hal_relation_proxy_app.rb`).

The client's consumer tests never hard-code a broker path: they follow HAL relations, and record the
followed hrefs as placeholders such as `/HAL-REL-PLACEHOLDER-PB-PUBLISH-CONTRACTS`. The reference maps
each placeholder to a fixed path; here each one is resolved the way a client would, by following the
relation from our own index (and onwards), so a wrong or missing relation shows up as a failure.

The Rust verifier also regroups repeated query keys (`q[][pacticipant]=Foo&q[][pacticipant]=Bar&...`),
which changes the meaning of a Rack nested query. The reference restores the consumer's order with a
fixed table; here the table is built from the pact itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class UnresolvedPlaceholder(Exception):
    """A relation the client follows is missing from our resources."""


def _query_key(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


def consumer_query_order(*pacts: dict[str, Any]) -> dict[tuple[tuple[str, str], ...], str]:
    """Each interaction's query string, keyed by its (order-free) set of parameters; later pacts win.

    The V2 client pact was recorded with its query keys already grouped, so its own order cannot be
    restored from it; the V1 pact holds the same queries in the order the client builds them.
    """
    queries: dict[tuple[tuple[str, str], ...], str] = {}
    for pact in pacts:
        for interaction in pact.get("interactions", []):
            query = interaction.get("request", {}).get("query")
            if isinstance(query, str) and query:
                queries[_query_key(query)] = query
    return queries


class HalRelationProxy:
    """Wraps the broker app; requests to placeholder paths go to the resolved relation's path."""

    def __init__(self, app: ASGIApp, pact: dict[str, Any], *query_order_pacts: dict[str, Any]) -> None:
        self.app = app
        self.queries = consumer_query_order(pact, *query_order_pacts)
        self.rewrites: list[tuple[str, str]] = []  # (placeholder path, real path), for failure reports

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = await self._rewrite(scope)
        await self.app(scope, receive, send)

    async def _rewrite(self, scope: Scope) -> Scope:
        path: str = scope["path"]
        query: str = scope.get("query_string", b"").decode("latin-1")
        if "PLACEHOLDER" in path:
            try:
                target = await self._resolve(path)
            except UnresolvedPlaceholder as exc:
                self.rewrites.append((path, f"UNRESOLVED: {exc}"))
                return scope  # left as is: the broker answers 404 and the interaction fails visibly
            self.rewrites.append((path, target))
            parts = urlsplit(target)
            scope = {**scope, "path": parts.path, "raw_path": parts.path.encode()}
            if parts.query:
                query = parts.query
        original = self.queries.get(_query_key(query)) if query else None
        return {**scope, "query_string": (original or query).encode("latin-1")}

    # --- following relations, as the client does ---

    async def _get(self, client: httpx.AsyncClient, href: str) -> dict[str, Any]:
        response = await client.get(href, headers={"Accept": "application/hal+json"})
        if response.status_code != 200:
            raise UnresolvedPlaceholder(f"GET {href} answered {response.status_code}")
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def _link(resource: dict[str, Any], rel: str, name: str | None = None) -> str:
        value = resource.get("_links", {}).get(rel)
        if value is None:
            raise UnresolvedPlaceholder(f"no {rel!r} relation")
        if isinstance(value, list):
            matches = [
                v for v in value if name is not None and str(v.get("name", "")).lower() == name.lower()
            ]
            if not matches:
                raise UnresolvedPlaceholder(f"no {rel!r} entry named {name!r}")
            value = matches[0]
        return str(value["href"])

    @staticmethod
    def _expand(href: str, **values: str) -> str:
        for key, value in values.items():
            href = href.replace("{" + key + "}", quote(value, safe=""))
        return href

    @staticmethod
    def _named(entries: Iterable[dict[str, Any]], name: str, key: str) -> dict[str, Any]:
        for entry in entries:
            if str(entry.get(key, "")).lower() == name.lower():
                return entry
        raise UnresolvedPlaceholder(f"nothing with {key} {name!r}")

    async def _resolve(self, path: str) -> str:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.local") as client:
            href = await self._resolve_href(client, path)
        parts = urlsplit(href)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    async def _resolve_href(self, client: httpx.AsyncClient, path: str) -> str:
        index = await self._get(client, "/")
        simple = {
            "/HAL-REL-PLACEHOLDER-PB-PUBLISH-CONTRACTS": "pb:publish-contracts",
            "/HAL-REL-PLACEHOLDER-PB-WEBHOOKS": "pb:webhooks",
            "/HAL-REL-PLACEHOLDER-PB-ENVIRONMENTS": "pb:environments",
            "/HAL-REL-PLACEHOLDER-PB-PACTICIPANTS": "pb:pacticipants",
        }
        if path in simple:
            return self._link(index, simple[path])
        if m := re.fullmatch(r"/HAL-REL-PLACEHOLDER-INDEX-PB-LATEST-TAGGED-VERSION-([^-]+)-(.+)", path):
            return self._expand(self._link(index, "pb:latest-tagged-version"), pacticipant=m[1], tag=m[2])
        if m := re.fullmatch(r"/HAL-REL-PLACEHOLDER-INDEX-PB-LATEST-VERSION-(.+)", path):
            return self._expand(self._link(index, "pb:latest-version"), pacticipant=m[1])
        if m := re.fullmatch(r"/HAL-REL-PLACEHOLDER-(?:INDEX-)?PB-PACTICIPANT-VERSION-([^-]+)-(.+)", path):
            return self._expand(self._link(index, "pb:pacticipant-version"), pacticipant=m[1], version=m[2])
        if m := re.fullmatch(r"/HAL-REL-PLACEHOLDER-PB-PACTICIPANT-BRANCH-([^-]+)-(.+)", path):
            return self._expand(self._link(index, "pb:pacticipant-branch"), pacticipant=m[1], branch=m[2])
        if m := re.fullmatch(rf"/HAL-REL-PLACEHOLDER-PB-ENVIRONMENT-({_UUID})", path):
            return self._expand(self._link(index, "pb:environment"), uuid=m[1])
        if m := re.fullmatch(
            r"/HAL-REL-PLACEHOLDER-PB-RECORD-(DEPLOYMENT|RELEASE)-([^-]+)-([^-]+)-(.+)", path
        ):
            # Upper-cased by the client's test: find the pacticipant and version the way a user would.
            version = await self._version_resource(client, index, m[2], m[3])
            return self._link(version, f"pb:record-{m[1].lower()}", name=m[4])
        if m := re.fullmatch(rf"/PLACEHOLDER-ENVIRONMENT-CURRENTLY-DEPLOYED-({_UUID})", path):
            environment = await self._get(
                client, self._expand(self._link(index, "pb:environment"), uuid=m[1])
            )
            return self._link(environment, "pb:currently-deployed-deployed-versions")
        if m := re.fullmatch(rf"/PLACEHOLDER-DEPLOYED-VERSION-({_UUID})", path):
            return await self._deployed_version(client, index, m[1])
        raise UnresolvedPlaceholder(f"unknown placeholder {path}")

    async def _version_resource(
        self, client: httpx.AsyncClient, index: dict[str, Any], pacticipant: str, number: str
    ) -> dict[str, Any]:
        pacticipants = await self._get(client, self._link(index, "pb:pacticipants"))
        found = self._named(pacticipants.get("_embedded", {}).get("pacticipants", []), pacticipant, "name")
        template = self._link(index, "pb:pacticipant-version")
        for candidate in (number, number.lower()):
            href = self._expand(template, pacticipant=str(found["name"]), version=candidate)
            response = await client.get(href, headers={"Accept": "application/hal+json"})
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
        raise UnresolvedPlaceholder(f"no version {number!r} of {found['name']!r}")

    async def _deployed_version(self, client: httpx.AsyncClient, index: dict[str, Any], uuid: str) -> str:
        environments = await self._get(client, self._link(index, "pb:environments"))
        for environment in environments.get("_embedded", {}).get("environments", []):
            deployed = await self._get(
                client, self._link(environment, "pb:currently-deployed-deployed-versions")
            )
            for entry in deployed.get("_embedded", {}).get("deployedVersions", []):
                if entry.get("uuid") == uuid:
                    return str(entry["_links"]["self"]["href"])
        raise UnresolvedPlaceholder(f"no currently deployed version {uuid}")
