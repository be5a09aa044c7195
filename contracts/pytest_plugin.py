"""The pytest plugin (entry point `pytest11: contracts`): the `pact` fixture, pact files, publishing.

A consumer test asks for `pact` and builds its contract with pact-python's fluent API; the plugin writes the
pact file when the test passes and, with `--publish`, publishes every pact of the session once it passed:

    def test_get_sample(pact):
        p = pact("gateway", "sample")
        (p.upon_receiving("a request for a sample")
          .given("a sample exists", id="S-1")
          .with_request("GET", "/samples/S-1")
          .will_respond_with(200)
          .with_body({"id": match.str("S-1")}, content_type="application/json"))
        with p.serve() as srv:
            assert SampleClient(str(srv.url)).get("S-1").id == "S-1"

Interactions of the same consumer/provider pair from several tests are merged into one file; each session
starts the files it writes afresh, so an interaction removed from the tests disappears from the pact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from pathlib import Path

import pytest
from pact import Pact

from contracts.broker_client import BrokerClient, BrokerError
from contracts.settings import BrokerSettings, PactDirSettings
from contracts.versioning import VersionDetectionError, detect_version

__all__ = ["PactFactory"]

_FACTORY_KEY = pytest.StashKey["PactFactory"]()
_REPORT_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


class PactFactory:
    """Creates `Pact`s for tests and writes them to `pact_dir`; one per session (fixture `pact_factory`)."""

    def __init__(self, pact_dir: Path) -> None:
        self.pact_dir = pact_dir
        self.written: dict[tuple[str, str], Path] = {}  # (consumer, provider) -> file, this session

    def __call__(self, consumer: str, provider: str) -> Pact:
        """A new V4 `Pact` between `consumer` and `provider`; write it with `write(...)`."""
        return Pact(consumer, provider).with_specification("V4")

    def write(self, pact: Pact) -> Path | None:
        """Merge `pact` into its file (`<consumer>-<provider>.json`), emptied first on its first write this
        session. A pact without interactions writes nothing."""
        if not any(True for _ in pact.interactions("All")):
            return None
        pair = (pact.consumer, pact.provider)
        path = self.pact_dir / f"{pact.consumer}-{pact.provider}.json"
        if pair not in self.written:
            path.unlink(missing_ok=True)  # stale interactions from an earlier session must not survive
        self.pact_dir.mkdir(parents=True, exist_ok=True)
        pact.write_file(self.pact_dir, overwrite=False)
        self.written[pair] = path
        return path

    def files_by_consumer(self) -> dict[str, list[Path]]:
        grouped: dict[str, list[Path]] = {}
        for (consumer, _), path in sorted(self.written.items()):
            grouped.setdefault(consumer, []).append(path)
        return grouped


# -- options and markers ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "Pact contracts (TracSeq Contracts)")
    group.addoption(
        "--pact-dir",
        default=None,
        help="folder the pact files are written to (default: $PACT_DIR, else pacts/ at the rootdir)",
    )
    group.addoption(
        "--publish",
        action="store_true",
        default=False,
        help="publish the pacts written in this session to the broker once every test passed",
    )
    group.addoption(
        "--broker-url",
        default=None,
        help="Pact Broker to publish to (default: $PACT_BROKER_BASE_URL); credentials from "
        "$PACT_BROKER_USERNAME/$PACT_BROKER_PASSWORD or $PACT_BROKER_TOKEN",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract: a consumer contract test (added to every test using `pact`)"
    )
    config.stash[_FACTORY_KEY] = PactFactory(_pact_dir(config))
    config.stash[_REPORT_KEY] = {}
    if config.getoption("--publish") and not _broker_settings(config).base_url:
        raise pytest.UsageError("--publish needs --broker-url or PACT_BROKER_BASE_URL")


def _pact_dir(config: pytest.Config) -> Path:
    option = config.getoption("--pact-dir")
    if option:
        return Path(option).resolve()
    from_env = PactDirSettings().pact_dir
    return from_env.resolve() if from_env else Path(config.rootpath) / "pacts"


def _broker_settings(config: pytest.Config) -> BrokerSettings:
    settings = BrokerSettings()
    if url := config.getoption("--broker-url"):
        settings = settings.model_copy(update={"base_url": url})
    return settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pact" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.contract)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # The `pact` fixture's teardown needs to know whether the test body passed.
    report = yield
    if report.when == "call":
        item.config.stash[_REPORT_KEY][item.nodeid] = report
    return report


# -- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pact_factory(pytestconfig: pytest.Config) -> PactFactory:
    """The session's pact writer: its `pact_dir` and the files it `written`."""
    return pytestconfig.stash[_FACTORY_KEY]


@pytest.fixture
def pact(pact_factory: PactFactory, request: pytest.FixtureRequest) -> Generator[Callable[[str, str], Pact]]:
    """`pact(consumer, provider) -> Pact`. The pacts are written when the test passes (never when it fails:
    a contract the consumer does not honour must not reach the broker)."""
    created: list[Pact] = []

    def make(consumer: str, provider: str) -> Pact:
        new = pact_factory(consumer, provider)
        created.append(new)
        return new

    yield make
    report = request.config.stash[_REPORT_KEY].get(request.node.nodeid)
    if report is not None and report.passed:
        for each in created:
            pact_factory.write(each)


# -- publishing ---------------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.getoption("--publish") or exitstatus != 0:
        return
    factory = config.stash[_FACTORY_KEY]
    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def say(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)

    grouped = factory.files_by_consumer()
    if not grouped:
        say("contracts: --publish given but no pact was written in this session")
        return
    try:
        version = detect_version(config.rootpath)
    except VersionDetectionError as exc:
        say(f"contracts: cannot publish: {exc}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    settings = _broker_settings(config)
    assert settings.base_url is not None  # checked in pytest_configure
    with BrokerClient(settings.base_url, settings.username, settings.password, settings.token) as broker:
        for consumer, files in grouped.items():
            try:
                result = broker.publish_contracts(
                    consumer, version.number, version.branch, pact_files=files, build_url=version.build_url
                )
            except (BrokerError, OSError, json.JSONDecodeError) as exc:
                say(f"contracts: publishing {consumer} {version.number} failed: {exc}")
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
                continue
            providers = ", ".join(path.stem.removeprefix(f"{consumer}-") for path in files)
            say(
                f"contracts: published {consumer} {version.number} (branch {version.branch or '-'}) "
                f"-> {providers} at {settings.base_url}"
            )
            for notice in result.notices:
                say(f"  {notice}")
