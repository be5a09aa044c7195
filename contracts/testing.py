"""A Pact Broker for tests: the one CI names, else a container, else the embedded broker.

The `pact_broker` fixture (session-scoped, registered by the `contracts-testing` pytest11 entry point, so any
test of a project with this distribution installed can ask for it) yields the broker's base URL:

    def test_publish(pact_broker: str) -> None:
        httpx.get(f"{pact_broker}/diagnostic/status/heartbeat").raise_for_status()

Outside pytest, `broker_url()` is the same thing as a context manager:

    with broker_url() as url:
        subprocess.run(["pact", "broker", "publish", "pacts", "--broker-base-url", url, ...], check=True)

The order: `PACT_BROKER_BASE_URL` when set (nothing is started); else, when a Docker engine answers, our image
built from `broker/Dockerfile` (or the image named by `PACT_BROKER_IMAGE`, e.g. `pactfoundation/pact-broker`)
beside a PostgreSQL container on a private network; else `contracts broker serve` as a subprocess on a free
port with SQLite in a temporary folder. The choice and its reason are logged and announced in one line.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BrokerChoice",
    "BrokerFixtureSettings",
    "BrokerKind",
    "BrokerStartError",
    "RunningBroker",
    "broker_url",
    "choose_broker",
    "docker_problem",
    "pact_broker",
    "running_broker",
]

logger = logging.getLogger(__name__)

HEARTBEAT_PATH = "/diagnostic/status/heartbeat"
BROKER_PORT = 9292
# The build context of broker/Dockerfile is the project root (the image installs the whole distribution).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUR_IMAGE_TAG = "tracseq-pact-broker:testcontainers"


class BrokerFixtureSettings(BaseSettings):
    """`PACT_BROKER_BASE_URL` (use that broker), `PACT_BROKER_IMAGE` (container image instead of ours),
    `PACT_BROKER_POSTGRES_IMAGE`, `PACT_BROKER_STARTUP_TIMEOUT` (seconds to wait for the heartbeat)."""

    model_config = SettingsConfigDict(env_prefix="PACT_BROKER_", extra="ignore")

    base_url: str | None = None
    image: str | None = None
    postgres_image: str = "postgres:17-alpine"
    startup_timeout: float = 120.0

    @field_validator("base_url", "image")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        # CI templates often export `PACT_BROKER_BASE_URL=` (an empty secret): that means "none given".
        if value is None or not value.strip():
            return None
        return value.strip()


class BrokerKind(enum.StrEnum):
    EXTERNAL = "external"
    CONTAINER = "container"
    EMBEDDED = "embedded"


@dataclass(frozen=True)
class BrokerChoice:
    kind: BrokerKind
    reason: str
    image: str | None = None  # the container image, for CONTAINER; None there means "build ours"


@dataclass(frozen=True)
class RunningBroker:
    url: str
    choice: BrokerChoice

    @property
    def summary(self) -> str:
        """The one line that tells a reader of the test output which broker the session used."""
        return f"pact broker: {self.choice.kind} at {self.url} ({self.choice.reason})"


class BrokerStartError(RuntimeError):
    """The broker did not answer its heartbeat; the message carries its output."""


def choose_broker(base_url: str | None, image: str | None, docker_problem: str | None) -> BrokerChoice:
    """Decide which broker to use from the environment and whether Docker answered.

    `docker_problem` is None when a Docker engine answered a ping, else why it did not; it is not looked at
    when `base_url` is set (callers need not ask Docker then).
    """
    if base_url and base_url.strip():
        return BrokerChoice(BrokerKind.EXTERNAL, "PACT_BROKER_BASE_URL is set")
    if docker_problem is None:
        if image and image.strip():
            return BrokerChoice(
                BrokerKind.CONTAINER,
                f"Docker answered; image {image.strip()} from PACT_BROKER_IMAGE",
                image.strip(),
            )
        return BrokerChoice(BrokerKind.CONTAINER, "Docker answered; image built from broker/Dockerfile")
    return BrokerChoice(BrokerKind.EMBEDDED, f"no Docker engine: {docker_problem}")


def docker_problem(timeout: float = 5.0) -> str | None:
    """None when a Docker engine answers a ping; otherwise what went wrong, worded for a skip reason."""
    try:
        import docker
    except ImportError:
        return "the `docker` package is not installed (install the `dev` extra)"
    try:
        client = docker.from_env(timeout=int(timeout))
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "no usable engine"; its text is the reason shown
        return f"{type(exc).__name__}: {exc}"
    return None


@contextlib.contextmanager
def running_broker(
    settings: BrokerFixtureSettings | None = None, announce: Callable[[str], None] | None = None
) -> Iterator[RunningBroker]:
    """Yield a broker that answers its heartbeat, chosen as the module docstring says; stop what was started.

    `announce` receives the one-line summary (default: standard error).
    """
    settings = settings or BrokerFixtureSettings()
    problem = None if settings.base_url else docker_problem()
    choice = choose_broker(settings.base_url, settings.image, problem)
    with _start(choice, settings) as url:
        broker = RunningBroker(url=url, choice=choice)
        logger.info(broker.summary)
        (announce or _to_stderr)(broker.summary)
        yield broker


@contextlib.contextmanager
def broker_url(settings: BrokerFixtureSettings | None = None) -> Iterator[str]:
    """`running_broker()` for callers that only want the URL."""
    with running_broker(settings) as broker:
        yield broker.url


@pytest.fixture(scope="session")
def pact_broker(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of a running Pact Broker for the whole session (see the module docstring)."""
    with running_broker(announce=_pytest_announcer(request.config)) as broker:
        yield broker.url


# -- the three ways ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _start(choice: BrokerChoice, settings: BrokerFixtureSettings) -> Iterator[str]:
    if choice.kind is BrokerKind.EXTERNAL:
        assert settings.base_url is not None
        yield settings.base_url.strip().rstrip("/")
    elif choice.kind is BrokerKind.CONTAINER:
        with container_broker(choice.image, settings) as url:
            yield url
    else:
        with embedded_broker(settings.startup_timeout) as url:
            yield url


@contextlib.contextmanager
def embedded_broker(startup_timeout: float = 60.0) -> Iterator[str]:
    """`contracts broker serve` on a free loopback port with SQLite in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="pact-broker-") as folder:
        for attempt in range(3):
            try:
                process, url = _serve(Path(folder), f"broker-{attempt}.log", startup_timeout)
            except BrokerStartError as error:
                # Another process can take the free port between our probe and the broker's bind: retry.
                if "address already in use" in str(error).lower() and attempt < 2:
                    continue
                raise
            try:
                yield url
            finally:
                _stop(process)
            return


def _serve(folder: Path, log_name: str, startup_timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    log_path = folder / log_name
    command = [
        *_contracts_command(),
        "broker",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        f"sqlite:///{folder / 'broker.sqlite'}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=_child_env()
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(
            url,
            startup_timeout,
            alive=lambda: process.poll() is None,
            output=lambda: log_path.read_text(errors="replace"),
        )
    except BrokerStartError:
        _stop(process)
        raise
    return process, url


@contextlib.contextmanager
def container_broker(image: str | None, settings: BrokerFixtureSettings) -> Iterator[str]:
    """A broker container (`image`, else ours from broker/Dockerfile) beside PostgreSQL on one network."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.image import DockerImage
    from testcontainers.core.network import Network

    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.14 kept the module at the top level
        from testcontainers.postgres import PostgresContainer

    with contextlib.ExitStack() as stack:
        if image is None:
            built = DockerImage(path=PROJECT_ROOT, dockerfile_path="broker/Dockerfile", tag=OUR_IMAGE_TAG)
            image = str(stack.enter_context(built))
        network = stack.enter_context(Network())
        postgres = (
            PostgresContainer(
                settings.postgres_image, username="broker", password="broker", dbname="broker", driver=None
            )
            .with_network(network)
            .with_network_aliases("postgres")
        )
        stack.enter_context(postgres)
        # Both our image and the official one read PACT_BROKER_DATABASE_URL.
        broker = (
            DockerContainer(image)
            .with_network(network)
            .with_exposed_ports(BROKER_PORT)
            .with_env("PACT_BROKER_DATABASE_URL", "postgres://broker:broker@postgres:5432/broker")
            .with_env("PACT_BROKER_PORT", str(BROKER_PORT))
        )
        stack.enter_context(broker)
        url = f"http://{broker.get_container_host_ip()}:{broker.get_exposed_port(BROKER_PORT)}"
        _wait_for_heartbeat(
            url,
            settings.startup_timeout,
            alive=lambda: _container_running(broker),
            output=lambda: b"\n".join(broker.get_logs()).decode(errors="replace"),
        )
        yield url


# -- helpers -------------------------------------------------------------------------------------------------


def _wait_for_heartbeat(
    url: str, timeout: float, *, alive: Callable[[], bool], output: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise BrokerStartError(
                    f"the broker at {url} exited before answering its heartbeat:\n{output()}"
                )
            try:
                response = client.get(url + HEARTBEAT_PATH)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
    raise BrokerStartError(
        f"the broker at {url} did not answer its heartbeat in {timeout:.0f}s ({last}):\n{output()}"
    )


def _contracts_command() -> list[str]:
    """The `contracts` script of this interpreter's environment, else the CLI through this interpreter."""
    script = Path(sys.executable).parent / "contracts"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from contracts.cli import main; main()"]


def _child_env() -> dict[str, str]:
    # The developer's own PACT_BROKER_* (auth, base URL, database) must not leak into a throwaway broker.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACT_BROKER_")}
    env["PACT_DO_NOT_TRACK"] = "true"
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _container_running(container: Any) -> bool:
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    return bool(wrapped.status in ("created", "running"))


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _pytest_announcer(config: pytest.Config) -> Callable[[str], None]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return _to_stderr

    def announce(line: str) -> None:
        # Session fixtures run under output capture; this one line belongs on the terminal.
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.ensure_newline()
            reporter.write_line(line)

    return announce
