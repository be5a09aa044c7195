"""Rack's nested query grouping, reproduced (cases from Rack's own spec and the reference's features)."""

from __future__ import annotations

import pytest

from broker.api.rack_query import RackQueryError, build_nested_query, parse_nested_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("foo", {"foo": None}),
        ("foo=", {"foo": ""}),
        ("foo=bar&baz=", {"foo": "bar", "baz": ""}),
        ("foo=bar&foo=quux", {"foo": "quux"}),
        ("foo+bar=baz%20qux", {"foo bar": "baz qux"}),
        ("&foo=1&&bar=2", {"foo": "1", "bar": "2"}),
        ("foo[]=", {"foo": [""]}),
        ("foo[]=bar&foo[]=baz", {"foo": ["bar", "baz"]}),
        ("x[y][z]=1", {"x": {"y": {"z": "1"}}}),
        ("x[y][]=1&x[y][]=2", {"x": {"y": ["1", "2"]}}),
        ("x[][y]=1&x[][z]=2", {"x": [{"y": "1", "z": "2"}]}),
        ("x[][y]=1&x[][y]=2", {"x": [{"y": "1"}, {"y": "2"}]}),
        ("x[][y][z]=1&x[][y][w]=2", {"x": [{"y": {"z": "1", "w": "2"}}]}),
        ("x[][y][z]=1&x[][y][z]=2", {"x": [{"y": {"z": "1"}}, {"y": {"z": "2"}}]}),
        ("[]=1", {"[]": "1"}),
        ("[a]=1", {"[a]": "1"}),
        ("x[=1", {"x[": "1"}),
        (
            "q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar&latestby=cvpv",
            {"q": [{"pacticipant": "Foo", "version": "1"}, {"pacticipant": "Bar"}], "latestby": "cvpv"},
        ),
        # the "flat encoding" the reference accepts (spec/features/get_matrix_approval_spec.rb)
        (
            "q[]pacticipant=Foo&q[]version=1&q[]pacticipant=Bar&q[]version=2",
            {"q": [{"pacticipant": "Foo", "version": "1"}, {"pacticipant": "Bar", "version": "2"}]},
        ),
        ("ignore[]=Foo&ignore[]=Bar", {"ignore": ["Foo", "Bar"]}),
        ("success[]=true", {"success": ["true"]}),
        (
            "q%5B%5D%5Bpacticipant%5D=Foo%20Bar&q%5B%5D%5Blatest%5D=true",
            {"q": [{"pacticipant": "Foo Bar", "latest": "true"}]},
        ),
    ],
)
def test_parses_like_rack(query: str, expected: dict[str, object]) -> None:
    assert parse_nested_query(query) == expected


@pytest.mark.parametrize("query", ["x[y]=1&x[]=2", "x[]=1&x[y]=2", "x=1&x[y]=2"])
def test_conflicting_shapes_are_refused_like_rack(query: str) -> None:
    with pytest.raises(RackQueryError):
        parse_nested_query(query)


def test_depth_is_limited() -> None:
    with pytest.raises(RackQueryError):
        parse_nested_query("a" + "[b]" * 40 + "=1")


def test_build_is_the_inverse_of_parse() -> None:
    value = {
        "s": [{"b": "main", "l": "true", "cv": "12"}, {"b": "feat x", "cv": "13"}],
        "p": "false",
        "w": None,
    }
    assert parse_nested_query(build_nested_query(value)) == value
    # As in Rack, array elements with disjoint keys merge when re-parsed: a new element starts on a repeat.
    assert parse_nested_query(build_nested_query({"s": [{"b": "x"}, {"t": "y"}]})) == {
        "s": [{"b": "x", "t": "y"}]
    }
    assert build_nested_query({"a": True, "b": 3}) == "a=true&b=3"
