"""The matrix's pure rules: query parsing, selector descriptions, and the deployability verdict."""

from __future__ import annotations

from datetime import UTC, datetime

from broker.matrix.query import (
    MatrixQuery,
    UnresolvedSelector,
    can_i_deploy_errors,
    parse_can_i_deploy_query,
    parse_matrix_query,
)
from broker.matrix.resolved import NULL_VERSION_ID, Integration, MatrixRow, ResolvedSelector
from broker.matrix.summary import DeploymentStatusSummary, QueryResults

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_matrix_query_defaults_limit_and_reads_selectors_like_rack() -> None:
    query = parse_matrix_query(
        {
            "q": [
                {"pacticipant": "Foo", "version": "1", "latest": "false"},
                {"pacticipant": "Bar", "latest": "true", "tag": "prod", "mainBranch": "true"},
            ],
            "latestby": "cvpv",
            "success": ["true", ""],
            "ignore": [{"pacticipant": "Baz", "version": ""}],
        }
    )
    assert query.limit == "100"
    assert query.selectors == [
        UnresolvedSelector(pacticipant_name="Foo", version="1"),
        UnresolvedSelector(pacticipant_name="Bar", latest=True, tag="prod", main_branch=True),
    ]
    assert query.success == [True, None]
    assert query.ignore_selectors == [UnresolvedSelector(pacticipant_name="Baz")]
    assert query.latestby == "cvpv"
    assert not query.infers_selectors()


def test_can_i_deploy_to_environment_checks_every_coresident_version() -> None:
    query = parse_can_i_deploy_query(
        {
            "pacticipant": "Foo",
            "version": "1",
            "environment": "prod",
            "ignore": ["Bar", {"pacticipant": "Baz"}],
        }
    )
    assert query.latestby == "cvpv"
    assert query.environment == "prod"
    assert query.limit is None
    assert [s.pacticipant_name for s in query.ignore_selectors] == ["Bar", "Baz"]
    to_tag = parse_can_i_deploy_query({"pacticipant": "Foo", "version": "1", "to": "prod"})
    assert (to_tag.latestby, to_tag.tag, to_tag.latest) == ("cvp", "prod", True)


def test_can_i_deploy_needs_exactly_one_target() -> None:
    assert can_i_deploy_errors({"pacticipant": "Foo", "version": "1"}) == {
        "base": ["Must specify either an environment or a 'to' tag."]
    }
    both = can_i_deploy_errors({"pacticipant": "Foo", "version": "1", "to": "a", "environment": "b"})
    assert both == {"base": ["Cannot specify both a 'to' tag and an environment."]}
    assert "version" in can_i_deploy_errors({"pacticipant": "Foo", "environment": "prod"})


def test_limit_is_read_like_ruby_to_i() -> None:
    assert MatrixQuery(limit="12abc").limit_value() == 12
    assert MatrixQuery(limit="x").limit_value() == 0


def _selector(name: str, pid: int, version: str | None = None, **kw: object) -> ResolvedSelector:
    original = UnresolvedSelector(pacticipant_name=name, version=version)
    if version is None:
        return ResolvedSelector.for_pacticipant(pid, name, original, "specified", False)
    return ResolvedSelector.for_version(pid, name, pid * 10, version, original, "specified", False)


def _row(success: bool | None, provider_version: str | None = "2") -> MatrixRow:
    return MatrixRow(
        consumer_id=1,
        consumer_name="Foo",
        consumer_version_id=10,
        consumer_version_number="1",
        consumer_version_order=1,
        provider_id=2,
        provider_name="Bar",
        pact_publication_id=1,
        pact_version_id=1,
        pact_version_sha="abc",
        pact_created_at=NOW,
        provider_version_id=20 if provider_version else None,
        provider_version_number=provider_version,
        success=success,
    )


def _results(rows: list[MatrixRow], selectors: list[ResolvedSelector], **kw: object) -> QueryResults:
    return QueryResults(
        query=MatrixQuery(environment="production"),
        considered_rows=rows,
        ignored_rows=[],
        selectors=selectors,
        ignore_selectors=[],
        integrations=[Integration(1, "Foo", 2, "Bar", True)],
    )


def test_all_successful_rows_are_deployable() -> None:
    summary = DeploymentStatusSummary(_results([_row(True)], [_selector("Foo", 1, "1")]))
    assert summary.deployable() is True
    assert summary.counts() == {"success": 1, "failed": 0, "unknown": 0}
    assert [r.text for r in summary.reasons()] == [
        "All required verification results are published and successful"
    ]


def test_missing_verification_is_unknown_and_names_the_environment() -> None:
    inferred = ResolvedSelector(
        2, "Bar", type="inferred", environment="production", original=UnresolvedSelector()
    )
    summary = DeploymentStatusSummary(_results([_row(None, None)], [_selector("Foo", 1, "1"), inferred]))
    assert summary.deployable() is None
    assert summary.counts()["unknown"] == 1
    assert [r.text for r in summary.reasons()] == [
        "There is no verified pact between version 1 of Foo and a version of Bar currently in production "
        "(no version is currently recorded as deployed/released in this environment)"
    ]


def test_failed_verification_blocks_and_unknown_wins_over_failed() -> None:
    selectors = [_selector("Foo", 1, "1"), _selector("Bar", 2, "2")]
    failed = DeploymentStatusSummary(_results([_row(False)], selectors))
    assert failed.deployable() is False
    assert (
        failed.reasons()[0].text
        == "The verification for the pact between version 1 of Foo and version 2 of Bar failed"
    )
    both = DeploymentStatusSummary(_results([_row(False), _row(None, None)], selectors))
    assert both.deployable() is None
    assert both.counts() == {"success": 0, "failed": 1, "unknown": 1}


def test_a_required_integration_without_any_row_is_unknown() -> None:
    summary = DeploymentStatusSummary(_results([], [_selector("Foo", 1, "1")]))
    assert summary.deployable() is None
    assert summary.counts()["unknown"] == 1


def test_no_rows_and_no_required_integrations_means_no_missing_dependencies() -> None:
    results = _results([], [_selector("Bar", 2, "2")])
    results.integrations = [Integration(1, "Foo", 2, "Bar", False)]
    summary = DeploymentStatusSummary(results)
    assert summary.deployable() is True
    assert [r.text for r in summary.reasons()] == ["There are no missing dependencies"]


def test_a_specified_version_that_does_not_exist_is_not_deployable() -> None:
    missing = ResolvedSelector.for_non_existing_version(
        1, "Foo", UnresolvedSelector(pacticipant_name="Foo", version="9"), "specified", False
    )
    assert missing.version_id == NULL_VERSION_ID
    summary = DeploymentStatusSummary(_results([], [missing]))
    assert summary.deployable() is False
    assert summary.reasons()[0].text == "No pacts or verifications have been published for version 9 of Foo"


def test_descriptions_follow_the_reference_wording() -> None:
    tag = UnresolvedSelector(pacticipant_name="Bar", latest=True, tag="prod")
    assert (
        ResolvedSelector.for_version(2, "Bar", 5, "4", tag, "inferred", False).description()
        == "the latest version of Bar with tag prod (4)"
    )
    env = UnresolvedSelector(pacticipant_name="Bar", environment="prod")
    many = ResolvedSelector.for_version(2, "Bar", 5, "4", env, "inferred", False, one_of_many=True)
    assert many.description() == "one of the versions of Bar currently in prod (4)"
    assert _selector("Foo", 1).description() == "any version of Foo"
