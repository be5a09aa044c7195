"""`contracts broker serve` as a user runs it: a real process, migrations at start, upgrades in place."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from broker.db.engine import make_engine
from broker.db.migrate import current_revision, head_revision, upgrade
from broker.testing import pact_content
from tests.broker.conftest import _pg_admin

CONTRACTS = str(Path(sys.executable).parent / "contracts")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_BROKER_")}
    env["PACT_DO_NOT_TRACK"] = "true"
    env.update(extra)
    return env


class Served:
    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [CONTRACTS, "broker", "serve", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                out = self.process.stdout.read().decode() if self.process.stdout else ""
                raise AssertionError(f"broker exited with {self.process.returncode}:\n{out}")
            try:
                if httpx.get(self.url + "/diagnostic/status/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("broker did not answer its heartbeat within 60 s")
            time.sleep(0.2)

    def stop(self) -> str:
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out.decode() if out else ""


def test_serve_defaults_to_an_embedded_sqlite_file(tmp_path: Path) -> None:
    port = _free_port()
    served = Served([], _clean_env(PACT_BROKER_PORT=str(port)), tmp_path, port)
    try:
        index = httpx.get(served.url + "/").json()
        assert index["_links"]["pb:publish-contracts"]["href"] == f"{served.url}/contracts/publish"
    finally:
        output = served.stop()
    assert (tmp_path / ".data" / "broker.sqlite").exists()
    assert "sqlite:///./.data/broker.sqlite" in output


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    name = f"broker_upgrade_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_older_schema_is_upgraded_without_losing_rows(fresh_database_url: str, tmp_path: Path) -> None:
    url = fresh_database_url
    upgrade(url, "0001")  # a broker from before integrations existed
    now = datetime.now(UTC)
    content = json.dumps(pact_content("Foo", "Bar"))
    engine = make_engine(url)
    with engine.begin() as conn:
        # Plain SQL against revision 0001's tables, as an old broker would have left them.
        for table, values in [
            ("pacticipants", {"id": 1, "name": "Foo", "created_at": now, "updated_at": now}),
            ("pacticipants", {"id": 2, "name": "Bar", "created_at": now, "updated_at": now}),
            (
                "versions",
                {
                    "id": 1,
                    "pacticipant_id": 1,
                    "number": "1.0",
                    "order": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            ),
            (
                "pact_versions",
                {
                    "id": 1,
                    "consumer_id": 1,
                    "provider_id": 2,
                    "sha": "abc",
                    "content": content,
                    "created_at": now,
                },
            ),
            (
                "pact_publications",
                {
                    "id": 1,
                    "consumer_version_id": 1,
                    "consumer_id": 1,
                    "provider_id": 2,
                    "pact_version_id": 1,
                    "revision_number": 1,
                    "consumer_version_order": 1,
                    "created_at": now,
                },
            ),
            (
                "latest_pact_publication_ids_for_consumer_versions",
                {
                    "consumer_version_id": 1,
                    "provider_id": 2,
                    "pact_publication_id": 1,
                    "pact_version_id": 1,
                    "consumer_id": 1,
                    "created_at": now,
                },
            ),
        ]:
            columns = ", ".join(f'"{c}"' for c in values)
            params = ", ".join(f":{c}" for c in values)
            conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)
    assert current_revision(url) == "0001"

    port = _free_port()
    served = Served(["--database-url", url, "--port", str(port)], _clean_env(), tmp_path, port)
    try:
        assert current_revision(url) == head_revision()
        pact = httpx.get(served.url + "/pacts/provider/Bar/consumer/Foo/version/1.0")
        assert (
            pact.status_code == 200
            and pact.json()["interactions"][0]["description"] == "a request for a sample"
        )
        assert [
            p["name"] for p in httpx.get(served.url + "/pacticipants").json()["_embedded"]["pacticipants"]
        ] == [
            "Bar",
            "Foo",
        ]
    finally:
        served.stop()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT consumer_id, provider_id FROM integrations")).all() == [
            (1, 2)
        ]  # back-filled
        assert conn.execute(text("SELECT count(*) FROM pact_publications")).scalar_one() == 1
    engine.dispose()


def test_several_workers_share_one_migrated_database(tmp_path: Path) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'multi.sqlite'}"
    served = Served(
        ["--workers", "2", "--database-url", url, "--port", str(port)], _clean_env(), tmp_path, port
    )
    try:
        assert current_revision(url) == head_revision()
        children = subprocess.run(
            ["pgrep", "-a", "-P", str(served.process.pid)], capture_output=True, text=True
        ).stdout.splitlines()
        # broker.serving spawns one process per worker (beside multiprocessing's resource tracker).
        assert len([c for c in children if "spawn_main" in c]) == 2
        # Writes through one connection and reads through fresh ones land on whichever worker answers.
        created = httpx.post(served.url + "/environments", json={"name": "staging", "production": False})
        assert created.status_code == 201
        for _ in range(6):
            with httpx.Client() as client:
                names = [
                    e["name"]
                    for e in client.get(served.url + "/environments").json()["_embedded"]["environments"]
                ]
            assert names == ["staging"]
    finally:
        output = served.stop()
    assert "2 workers" in output
