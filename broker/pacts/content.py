"""Pact content rules: the content SHA, interaction ids, and the merge used by legacy PATCH.

The SHA ignores what cannot change a verification result (key order, interaction order, metadata,
whitespace), as the reference does with `base_equality_only_on_content_that_affects_verification_results`.
Byte compatibility with the Ruby SHA is not needed: clients treat it as an opaque path segment.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from broker.errors import Conflict


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_that_affects_verification(pact: dict[str, Any]) -> dict[str, Any]:
    reduced: dict[str, Any] = {}
    for key in ("interactions", "messages"):
        if isinstance(pact.get(key), list):
            reduced[key] = sorted(pact[key], key=_canonical)
    metadata = pact.get("metadata")
    if isinstance(metadata, dict):
        spec = metadata.get("pactSpecification") or metadata.get("pact-specification")
        if isinstance(spec, dict) and "version" in spec:
            reduced["pact_specification_version"] = spec["version"]
    return reduced


def sha(pact: dict[str, Any]) -> str:
    return hashlib.sha1(_canonical(content_that_affects_verification(pact)).encode()).hexdigest()


class _ShaByText:
    """`sha` remembered by the published text: CI builds publish the same pact over and over, and
    canonicalising it (sorting and dumping every interaction) costs more than finding the text here.
    Bounded by the characters it holds, least recently used first out."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self.shas: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, text: str, pact: dict[str, Any]) -> str:
        with self.lock:
            found = self.shas.get(text)
            if found is not None:
                self.shas.move_to_end(text)
                return found
        computed = sha(pact)
        if len(text) <= self.max_chars // 8:
            with self.lock:
                if text not in self.shas:
                    self.shas[text] = computed
                    self.chars += len(text)
                    while self.chars > self.max_chars:
                        evicted, _ = self.shas.popitem(last=False)
                        self.chars -= len(evicted)
        return computed


# `sha(pact)` of the pact parsed from `text`, which must be the text `pact` was parsed from.
sha_of_text = _ShaByText(max_chars=16_000_000)


def interaction_id(interaction: Any) -> str:
    return hashlib.sha1(_canonical(interaction).encode()).hexdigest()[:40]


def with_ids(pact: dict[str, Any]) -> dict[str, Any]:
    """Adds `_id` to every interaction, as verifiers echo it back as `interactionId` in test results."""
    out = dict(pact)
    for key in ("interactions", "messages"):
        if isinstance(out.get(key), list):
            out[key] = [{**i, "_id": interaction_id(i)} if isinstance(i, dict) else i for i in out[key]]
    return out


def _interaction_key(interaction: dict[str, Any]) -> tuple[str, str]:
    states = interaction.get("providerStates") or interaction.get("providerState") or ""
    return str(interaction.get("description", "")), _canonical(states)


def merge(existing: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """Legacy PATCH: add the incoming interactions; same description+state with other content is a 409."""
    merged = dict(existing)
    for key in ("interactions", "messages"):
        if not isinstance(incoming.get(key), list):
            continue
        current = list(existing.get(key) or [])
        index = {_interaction_key(i): n for n, i in enumerate(current) if isinstance(i, dict)}
        for interaction in incoming[key]:
            k = _interaction_key(interaction)
            if k in index:
                if _canonical(current[index[k]]) != _canonical(interaction):
                    raise Conflict(
                        f"An interaction with description {k[0]!r} and the same provider state "
                        "already exists with different content"
                    )
                continue
            index[k] = len(current)
            current.append(interaction)
        merged[key] = current
    return merged
