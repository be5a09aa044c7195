"""Pacts-for-verification pure rules: selector validation, normalisation, and notice texts."""

from __future__ import annotations

from broker.verifiable_pacts.messages import (
    ConsumerVersionRef,
    EnvironmentRef,
    ResolvedSelector,
    VerifiablePact,
    VerifiablePactMessages,
    build_notices,
)
from broker.verifiable_pacts.query import (
    REQUIRED_PARAMS_MISSING,
    Selector,
    body_from_query_string,
    parse,
    validate,
)


def _exists(name: str) -> bool:
    return name == "production"


def test_valid_bodies_have_no_errors() -> None:
    body = {
        "consumerVersionSelectors": [
            {"mainBranch": True},
            {"tag": "feat-x", "fallbackTag": "master", "latest": True},
            {"deployedOrReleased": True, "environment": "production"},
            {"matchingBranch": True, "consumer": "Foo"},
        ],
        "providerVersionBranch": "main",
        "includePendingStatus": True,
        "includeWipPactsSince": "2020-01-01",
    }
    assert validate(body, _exists) == {}


def test_each_selector_rule_reports_its_index() -> None:
    body = {
        "consumerVersionSelectors": [
            {},
            {"tag": "feat-x", "fallbackTag": "master"},
            {"mainBranch": True, "latest": False},
            {"tag": "a", "branch": "b"},
            {"branch": "b", "environment": "production"},
            {"matchingBranch": True},
            {"deployed": True, "released": True},
            {"environment": "nowhere"},
        ]
    }
    errors = validate(body, _exists)["consumerVersionSelectors"]
    assert f"{REQUIRED_PARAMS_MISSING} (at index 0)" in errors
    assert "fallbackTag can only be set if latest is true (at index 1)" in errors
    assert "cannot specify mainBranch=true with latest=false (at index 2)" in errors
    assert "cannot specify both a tag and a branch (at index 3)" in errors
    assert "cannot specify the field branch with the field environment (at index 4)" in errors
    assert (
        "the providerVersionBranch must be specified when the selector matchingBranch=true is used (at "
        "index 5)" in errors
    )
    assert "cannot specify both deployed=true and released=true (at index 6)" in errors
    assert "environment with name 'nowhere' does not exist (at index 7)" in errors


def test_empty_provider_branch_with_wip_is_rejected() -> None:
    errors = validate({"providerVersionBranch": "", "includeWipPactsSince": "2020-01-01"}, _exists)
    assert "providerVersionBranch" in errors
    assert validate({"providerVersionBranch": ""}, _exists) == {}


def test_normalisation_matches_the_reference_decorator() -> None:
    query = parse(
        {
            "consumerVersionSelectors": [
                {"matchingBranch": True},
                {"deployedOrReleased": True},
                {"branch": "x"},
            ],
            "providerVersionBranch": "feat",
        }
    )
    assert query.include_pending_status is True
    assert query.consumer_version_selectors == [
        Selector(matching_branch=True, branch="feat", latest=True),
        Selector(currently_deployed=True),
        Selector(currently_supported=True),
        Selector(branch="x", latest=True),
    ]


def test_the_deprecated_get_query_is_read_as_the_post_body() -> None:
    body = body_from_query_string(
        {
            "consumer_version_selectors": [{"tag": "prod", "latest": "true"}],
            "provider_version_tags": ["main"],
            "include_pending_status": "false",
        }
    )
    assert body == {
        "consumerVersionSelectors": [{"tag": "prod", "latest": True}],
        "providerVersionTags": ["main"],
        "includePendingStatus": False,
    }


def _pact(selectors: list[ResolvedSelector], **kw: object) -> VerifiablePact:
    return VerifiablePact(
        consumer_name="Foo",
        provider_name="Bar",
        consumer_id=1,
        consumer_version=ConsumerVersionRef(10, "4.5.6", 3),
        consumer_main_branch="main",
        pact_version_sha="abc",
        selectors=selectors,
        **kw,  # type: ignore[arg-type]
    )


CV = ConsumerVersionRef(10, "4.5.6", 3)


def test_inclusion_reason_and_short_description_match_the_approval() -> None:
    pact = _pact([ResolvedSelector(Selector(tag="prod", latest=True), CV)])
    messages = VerifiablePactMessages(pact, "http://x/pact-version/abc")
    assert messages.short_description() == "latest with tag prod"
    assert messages.inclusion_reason() == (
        "The pact at http://x/pact-version/abc is being verified because the pact content belongs to the "
        "consumer "
        "version matching the following criterion:\n    * latest version tagged 'prod' (4.5.6)"
    )
    assert [n["when"] for n in build_notices(pact, "u", include_pending_status=False)] == [
        "before_verification"
    ]


def test_merged_selectors_are_described_together_and_sorted() -> None:
    pact = _pact(
        [
            ResolvedSelector(Selector(currently_deployed=True), CV, EnvironmentRef("production", True)),
            ResolvedSelector(Selector(main_branch=True, latest=True), CV),
            ResolvedSelector(Selector(currently_deployed=True), CV, EnvironmentRef("test", False)),
        ]
    )
    messages = VerifiablePactMessages(pact, "u")
    assert messages.inclusion_reason().endswith(
        # The reference's Selector#<=> ranks deployed before a main-branch selector (no branch name).
        "criteria:\n    * consumer version(s) currently deployed to test (4.5.6) and production (4.5.6)\n"
        "    * latest version from the main branch 'main' (4.5.6)"
    )


def test_pending_notices_for_a_provider_branch() -> None:
    pact = _pact(
        [ResolvedSelector(Selector(main_branch=True, latest=True), CV)], pending=True, provider_branch="main"
    )
    notices = build_notices(pact, "u", include_pending_status=True)
    whens = [n["when"] for n in notices]
    assert whens == [
        "before_verification",
        "before_verification",
        "after_verification:success_true_published_false",
        "after_verification:success_false_published_false",
        "after_verification:success_true_published_true",
        "after_verification:success_false_published_true",
    ]
    assert notices[1]["text"].startswith(
        "This pact is in pending state for this version of Bar because a successful verification result for "
        "a version of Bar from branch 'main' has not yet been published."
    )
    verified = _pact(
        [ResolvedSelector(Selector(main_branch=True, latest=True), CV)], pending=False, provider_branch="main"
    )
    assert [n["when"] for n in build_notices(verified, "u", include_pending_status=True)] == [
        "before_verification",
        "before_verification",
    ]


def test_wip_reason() -> None:
    pact = _pact(
        [ResolvedSelector(Selector(branch="feat", latest=True), CV)],
        pending=True,
        wip=True,
        provider_branch="main",
    )
    text = VerifiablePactMessages(pact, "u").inclusion_reason()
    assert text.startswith(
        "The pact at u is being verified because it is a 'work in progress' pact (ie. it is the pact for the "
        "latest version of Foo from branch 'feat' and it has not yet been successfully verified by a version "
        "of Bar from branch 'main'"
    )
