"""The `/metadata/{m}` segment of pact-version URLs (reference: lib/pact_broker/pacts/metadata.rb).

`m` is base64url (no padding) of a Rack nested query. For-verification puts in it why a pact was selected,
so the verification results POSTed back through that URL can be recorded as WIP/pending:

    >>> token = encode({"s": [{"b": "main", "l": True, "cv": 12}], "p": False})
    >>> decode(token)
    {'s': [{'b': 'main', 'l': 'true', 'cv': '12'}], 'p': 'false'}

Short keys: s=consumer version selectors, b=branch, t=tag, l=latest, e=environment, cv=consumer version id,
cvn=consumer version number, cvt=consumer version tags, w=wip, p=pending.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from broker.api.rack_query import RackQueryError, build_nested_query, parse_nested_query


class InvalidMetadata(ValueError):
    pass


def encode(metadata: dict[str, Any]) -> str:
    """base64url, without padding, of the Rack nested query of `metadata` (None values are dropped)."""
    query = build_nested_query(_compact(metadata))
    return base64.urlsafe_b64encode(query.encode()).decode().rstrip("=")


def decode(token: str) -> dict[str, Any]:
    """The nested query inside `token`; values come back as strings, as Rack parses them."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode()
        return parse_nested_query(raw)
    except (binascii.Error, UnicodeDecodeError, RackQueryError, ValueError) as exc:
        raise InvalidMetadata(f"The metadata segment {token!r} is not valid: {exc}") from None


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


@dataclass(frozen=True)
class PactMetadata:
    """What a verification needs from the metadata: was the pact WIP or pending, and for which versions."""

    wip: bool = False
    pending: bool | None = None
    consumer_version_ids: list[int] = field(default_factory=list)
    consumer_version_number: str | None = None
    selectors: list[dict[str, Any]] = field(default_factory=list)


def parse(token: str | None) -> PactMetadata:
    if not token:
        return PactMetadata()
    data = decode(token)
    selectors = [s for s in data.get("s") or [] if isinstance(s, dict)]
    ids = [int(s["cv"]) for s in selectors if str(s.get("cv", "")).isdigit()]
    if str(data.get("cv", "")).isdigit():
        ids.append(int(data["cv"]))
    return PactMetadata(
        wip=_truthy(data.get("w")),
        pending=_truthy(data["p"]) if data.get("p") is not None else None,
        consumer_version_ids=ids,
        consumer_version_number=data.get("cvn") if isinstance(data.get("cvn"), str) else None,
        selectors=selectors,
    )
