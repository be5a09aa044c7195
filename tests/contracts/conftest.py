"""A tiny provider and its consumers' pacts, to exercise the framework without the real services."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pact import Pact, match

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # the Pact core hangs on metrics without it


class SampleStore:
    def __init__(self) -> None:
        self.samples: dict[str, str] = {}


def create_sample_app(store: SampleStore, *, name_field: str = "name") -> FastAPI:
    """The provider `sample`; `name_field` lets a test rename the field its consumers rely on."""
    app = FastAPI()

    @app.get("/samples/{sample_id}")
    def get_sample(sample_id: str) -> dict[str, Any]:
        if sample_id not in store.samples:
            raise HTTPException(404, f"sample {sample_id} not found")
        return {"id": sample_id, name_field: store.samples[sample_id]}

    return app


def create_event_app() -> FastAPI:
    app = FastAPI()

    @app.get("/events")
    def list_events() -> list[dict[str, str]]:
        return [{"type": "sample.stored", "sampleId": "S-1"}]

    return app


def write_gateway_sample_pact(directory: Path, consumer: str = "gateway") -> Path:
    p = Pact(consumer, "sample")
    (
        p.upon_receiving("a request for a sample")
        .given("a sample exists", id="S-1")
        .with_request("GET", "/samples/S-1")
        .will_respond_with(200)
        .with_body({"id": match.str("S-1"), "name": match.str("blood")}, content_type="application/json")
    )
    (
        p.upon_receiving("a request for a missing sample")
        .given("no sample exists")
        .with_request("GET", "/samples/S-404")
        .will_respond_with(404)
    )
    with p.serve() as srv:
        assert httpx.get(f"{srv.url}/samples/S-1").json()["name"] == "blood"
        assert httpx.get(f"{srv.url}/samples/S-404").status_code == 404
    p.write_file(directory, overwrite=True)
    return directory / f"{consumer}-sample.json"


def write_event_pacts(directory: Path) -> None:
    http = Pact("storage", "event")
    (
        http.upon_receiving("a request for the events")
        .with_request("GET", "/events")
        .will_respond_with(200)
        .with_body(
            match.each_like({"type": "sample.stored", "sampleId": "S-1"}), content_type="application/json"
        )
    )
    with http.serve() as srv:
        assert httpx.get(f"{srv.url}/events").status_code == 200
    http.write_file(directory, overwrite=True)

    messages = Pact("notification", "event")
    (
        messages.upon_receiving("an event of type sample.stored", "Async")
        .given("a sample was stored", id="S-1")
        .with_body({"type": "sample.stored", "sampleId": match.str("S-1")}, content_type="application/json")
        .with_metadata({"topic": "samples"})
    )
    messages.verify(lambda body, metadata: None, "Async")
    messages.write_file(directory, overwrite=True)


@pytest.fixture
def pact_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pacts"
    write_gateway_sample_pact(folder)
    write_event_pacts(folder)
    return folder


StateLog = list[tuple[str, str]]


@pytest.fixture
def sample_verification() -> Callable[..., Any]:
    """A factory of `ProviderVerification("sample", ...)` with its states, recording set-ups and teardowns."""
    from contracts.verification import ProviderVerification

    def make(name_field: str = "name") -> tuple[ProviderVerification, SampleStore, StateLog]:
        store = SampleStore()
        log: StateLog = []
        verification = ProviderVerification(
            "sample", app_factory=lambda: create_sample_app(store, name_field=name_field)
        )

        @verification.state("a sample exists")
        def sample_exists(parameters: dict[str, Any]) -> Callable[[], None]:
            store.samples[parameters["id"]] = "blood"
            log.append(("setup", parameters["id"]))

            def remove() -> None:
                store.samples.pop(parameters["id"], None)
                log.append(("teardown", parameters["id"]))

            return remove

        @verification.state("no sample exists")
        def no_sample(parameters: dict[str, Any]) -> None:
            store.samples.clear()

        return verification, store, log

    return make
