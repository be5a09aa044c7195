"""The broker image's own command lines, run here as they are written in broker/Dockerfile.

No Docker engine is needed to check what the container would run: the CMD (`python -m broker.serving`:
migrate once, then PACT_BROKER_WORKERS workers) and the HEALTHCHECK are taken from the Dockerfile and run
against SQLite in a temporary folder, with the environment the image sets.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.testing import BrokerStartError, _free_port, _wait_for_heartbeat

DOCKERFILE = Path(__file__).resolve().parents[2] / "broker" / "Dockerfile"


def _json_instruction(name: str) -> list[str]:
    """The exec-form arguments of the last `name` instruction (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found = re.findall(rf"^{name}\s.*?(\[.*\])\s*$", text, flags=re.MULTILINE)
    assert found, f"no exec-form {name} in {DOCKERFILE}"
    arguments: list[str] = json.loads(found[-1])
    return arguments


def _image_env(folder: Path, port: int) -> dict[str, str]:
    text = DOCKERFILE.read_text()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACT_BROKER_")}
    # The image's own defaults, from its ENV lines.
    for key, value in re.findall(r"(PACT_BROKER_[A-Z_]+)=(\S+)", text):
        env[key] = value.rstrip("\\").strip()
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PACT_BROKER_HOST="127.0.0.1",
        PACT_BROKER_PORT=str(port),
        PACT_BROKER_DATABASE_URL=f"sqlite:///{folder / 'broker.sqlite'}",
        PACT_DO_NOT_TRACK="true",
    )
    return env


@pytest.fixture(scope="module")
def image_broker(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    tmp_path = tmp_path_factory.mktemp("image-broker")
    port = _free_port()
    env = _image_env(tmp_path, port)
    log_path = tmp_path / "broker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _json_instruction("CMD"),
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers go down with it
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(
            url, 60, alive=lambda: process.poll() is None, output=lambda: log_path.read_text(errors="replace")
        )
        yield url, env, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_the_image_defaults_name_the_official_port_and_a_worker_count() -> None:
    text = DOCKERFILE.read_text()
    assert "PACT_BROKER_PORT=9292" in text
    assert re.search(r"PACT_BROKER_WORKERS=\d+", text)
    assert re.search(r"^EXPOSE 9292$", text, flags=re.MULTILINE)
    assert re.search(r"^USER 10001", text, flags=re.MULTILINE), "the image must not run as root"


def test_the_image_command_migrates_and_serves_with_workers(
    image_broker: tuple[str, dict[str, str], subprocess.Popen[bytes]],
) -> None:
    url, _env, process = image_broker
    response = httpx.get(url + "/diagnostic/status/heartbeat", timeout=5)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    # broker.serving supervises the worker processes (PACT_BROKER_WORKERS=2 by default).
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) >= 2, f"expected the worker processes under broker.serving, found {children}"


def test_the_healthcheck_command_passes_on_a_live_broker_and_fails_on_a_dead_port(
    image_broker: tuple[str, dict[str, str], subprocess.Popen[bytes]],
) -> None:
    _url, env, _process = image_broker
    healthcheck = _json_instruction("HEALTHCHECK")
    assert subprocess.run(healthcheck, env=env, capture_output=True, timeout=30, check=False).returncode == 0
    dead = {**env, "PACT_BROKER_PORT": str(_free_port())}
    assert subprocess.run(healthcheck, env=dead, capture_output=True, timeout=30, check=False).returncode != 0


def test_a_broken_database_url_fails_fast_with_the_reason(tmp_path: Path) -> None:
    env = _image_env(tmp_path, _free_port())
    env["PACT_BROKER_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        _json_instruction("CMD"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    # The server never starts: the migration step names the database it could not reach.
    assert '"127.0.0.1", port 1 failed' in done.stderr, done.stderr[-2000:]
    assert "Uvicorn running" not in done.stderr


def test_waiting_reports_a_broker_that_never_answers() -> None:
    port = _free_port()
    with pytest.raises(BrokerStartError, match="did not answer its heartbeat"):
        _wait_for_heartbeat(f"http://127.0.0.1:{port}", 0.5, alive=lambda: True, output=lambda: "log text")
