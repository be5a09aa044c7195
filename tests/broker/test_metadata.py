"""The `/metadata/{m}` URL segment round-trips and tells verifications whether a pact was WIP/pending."""

from __future__ import annotations

import base64

import pytest

from broker.pacts.metadata import InvalidMetadata, decode, encode, parse


def test_encode_is_base64url_of_a_rack_query_without_padding() -> None:
    token = encode({"s": [{"b": "main", "l": True, "cv": 7}], "p": True})
    assert "=" not in token and "+" not in token and "/" not in token
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    assert raw == "s[][b]=main&s[][l]=true&s[][cv]=7&p=true"
    assert decode(token) == {"s": [{"b": "main", "l": "true", "cv": "7"}], "p": "true"}


def test_decodes_a_token_built_by_the_reference_broker() -> None:
    # Ruby: Base64.urlsafe_encode64(Rack::Utils.build_nested_query(...), padding: false)
    ruby = base64.urlsafe_b64encode(b"s%5B%5D%5Bt%5D=prod&s%5B%5D%5Bl%5D=true&s%5B%5D%5Bcv%5D=3&p=false")
    meta = parse(ruby.decode().rstrip("="))
    assert meta.selectors == [{"t": "prod", "l": "true", "cv": "3"}]
    assert meta.consumer_version_ids == [3]
    assert meta.pending is False and meta.wip is False


def test_wip_flag() -> None:
    meta = parse(encode({"w": True}))
    assert meta.wip is True and meta.pending is None


def test_none_values_are_dropped() -> None:
    assert decode(encode({"s": [{"b": None, "e": "production", "cv": 1}]})) == {
        "s": [{"e": "production", "cv": "1"}]
    }


def test_garbage_is_refused() -> None:
    with pytest.raises(InvalidMetadata):
        decode("%%%not-base64")
    assert parse(None).wip is False
