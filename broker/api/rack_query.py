"""`Rack::Utils.parse_nested_query` in Python, with Rack 3's grouping rules, and its inverse.

Pact clients build query strings for Rack (the reference broker is a Rack app), so `/matrix` and the
metadata segment of pact URLs depend on exactly how Rack groups `q[][k]` keys:

    >>> parse_nested_query("q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar")
    {'q': [{'pacticipant': 'Foo', 'version': '1'}, {'pacticipant': 'Bar'}]}

A new array element starts when a key repeats. The flat form `q[]pacticipant=Foo` groups the same way.
A key without `=` gets the value None, as in Rack.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

PARAM_DEPTH_LIMIT = 32
_SEPARATOR = re.compile(r"& *")


class RackQueryError(ValueError):
    """The query string cannot be parsed the way Rack would (Rack answers 400)."""


def parse_nested_query(query_string: str | bytes | None) -> dict[str, Any]:
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    params: dict[str, Any] = {}
    if not query_string:
        return params
    for part in _SEPARATOR.split(query_string):
        if not part:
            continue
        pieces = part.split("=", 1)
        name = unquote_plus(pieces[0])
        value = unquote_plus(pieces[1]) if len(pieces) > 1 else None
        _normalize(params, name, value, 0)
    return params


def _normalize(params: dict[str, Any], name: str | None, value: Any, depth: int) -> Any:
    if depth >= PARAM_DEPTH_LIMIT:
        raise RackQueryError("query parameters are nested too deeply")
    if not name:
        key, after = "", ""
    elif depth == 0:
        # At the top level a leading '[' is part of the key.
        start = name.find("[", 1)
        if start != -1:
            key, after = name[:start], name[start:]
        else:
            key, after = name, ""
    elif name.startswith("[]"):
        key, after = "[]", name[2:]
    elif name.startswith("[") and (end := name.find("]", 1)) != -1:
        key, after = name[1:end], name[end + 1 :]
    else:
        # Nested but not starting with '[' (e.g. the flat `q[]k` form): the whole rest is the key.
        key, after = name, ""

    if not key:
        return None

    if after == "":
        if key == "[]" and depth != 0:
            return [value]
        params[key] = value
    elif after == "[":
        params[name or ""] = value
    elif after == "[]":
        params.setdefault(key, [])
        _expect_list(params, key)
        params[key].append(value)
    elif after.startswith("[]"):
        # x[][y] is a hash inside an array; anything else after [] is the child key as written.
        child_key = after[3:-1] if after[2:3] == "[" and after.endswith("]") else ""
        if not child_key or "[" in child_key or "]" in child_key:
            child_key = after[2:]
        params.setdefault(key, [])
        _expect_list(params, key)
        items = params[key]
        last = items[-1] if items else None
        if isinstance(last, dict) and not _has_key(last, child_key):
            _normalize(last, child_key, value, depth + 1)
        else:
            items.append(_normalize({}, child_key, value, depth + 1))
    else:
        params.setdefault(key, {})
        if not isinstance(params[key], dict):
            raise RackQueryError(f"expected a hash for parameter '{key}'")
        params[key] = _normalize(params[key], after, value, depth + 1)
    return params


def _expect_list(params: dict[str, Any], key: str) -> None:
    if not isinstance(params[key], list):
        raise RackQueryError(f"expected an array for parameter '{key}'")


def _has_key(hash_: dict[str, Any], key: str) -> bool:
    if "[]" in key:
        return False
    current: Any = hash_
    for part in re.split(r"[\[\]]+", key):
        if part == "":
            continue
        if not isinstance(current, dict) or part not in current:
            return False
        current = current[part]
    return True


def build_nested_query(value: Any, prefix: str | None = None) -> str:
    """`Rack::Utils.build_nested_query`: the inverse of `parse_nested_query` for hashes, arrays, scalars."""
    if isinstance(value, dict):
        parts = [build_nested_query(v, f"{prefix}[{k}]" if prefix else str(k)) for k, v in value.items()]
        return "&".join(p for p in parts if p)
    if isinstance(value, list):
        if prefix is None:
            raise TypeError("an array needs a key")
        if not value:
            return f"{prefix}[]"
        return "&".join(build_nested_query(v, f"{prefix}[]") for v in value)
    if prefix is None:
        raise TypeError("a value needs a key")
    if value is None:
        return quote_plus(prefix, safe="[]")
    return f"{quote_plus(prefix, safe='[]')}={quote_plus(_scalar(value))}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
