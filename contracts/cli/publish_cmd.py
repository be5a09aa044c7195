"""`contracts publish`: the pact files of a folder to the broker, under the detected version and branch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from contracts.broker_client import BrokerError
from contracts.cli._common import (
    BrokerPassword,
    BrokerToken,
    BrokerUrl,
    BrokerUsername,
    broker_settings,
    console,
    errors,
    open_broker,
)
from contracts.settings import PactDirSettings
from contracts.versioning import VersionDetectionError, detect_version

app = typer.Typer()


def pact_files_by_consumer(pact_dir: Path) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for path in sorted(pact_dir.glob("*.json")):
        consumer = json.loads(path.read_text(encoding="utf-8")).get("consumer", {}).get("name")
        if consumer:
            grouped.setdefault(consumer, []).append(path)
    return grouped


@app.command("publish")
def publish(
    pact_dir: Annotated[
        Path | None,
        typer.Argument(help="folder of pact files [default: $PACT_DIR, else pacts/]", show_default=False),
    ] = None,
    consumer_version: Annotated[
        str | None, typer.Option("--consumer-app-version", "-a", help="[default: detected from CI or git]")
    ] = None,
    branch: Annotated[str | None, typer.Option("--branch", help="[default: detected from CI or git]")] = None,
    build_url: Annotated[str | None, typer.Option("--build-url")] = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="repeatable")] = None,
    broker_url: BrokerUrl = None,
    broker_username: BrokerUsername = None,
    broker_password: BrokerPassword = None,
    broker_token: BrokerToken = None,
) -> None:
    """Publish every pact file of PACT_DIR to the broker (one request per consumer)."""
    folder = pact_dir or PactDirSettings().pact_dir or Path("pacts")
    grouped = pact_files_by_consumer(folder) if folder.is_dir() else {}
    if not grouped:
        errors.print(f"[red]No pact files in {folder}[/red]")
        raise typer.Exit(1)
    try:
        detected = None if consumer_version and branch else detect_version()
    except VersionDetectionError as exc:
        if not consumer_version:
            errors.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        detected = None
    number = consumer_version or (detected.number if detected else "")
    branch = branch or (detected.branch if detected else None)
    build_url = build_url or (detected.build_url if detected else None)
    settings = broker_settings(broker_url, broker_username, broker_password, broker_token)
    failed = False
    with open_broker(settings) as broker:
        for consumer, files in grouped.items():
            try:
                result = broker.publish_contracts(
                    consumer, number, branch, pact_files=files, build_url=build_url, tags=tags or ()
                )
            except BrokerError as exc:
                errors.print(f"[red]{consumer} {number}: {exc}[/red]")
                failed = True
                continue
            console.print(
                f"[green]Published[/green] {consumer} {number} (branch {branch or '-'}): {len(files)} pact(s)"
            )
            for notice in result.notices:
                console.print(f"  {notice}", markup=False)
    if failed:
        raise typer.Exit(1)
