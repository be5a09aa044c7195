"""What the framework's commands share: the broker options and the rendering of a matrix."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from contracts.broker_client import BrokerClient, CanIDeployResult
from contracts.settings import BrokerSettings

console = Console()
errors = Console(stderr=True)

BrokerUrl = Annotated[
    str | None,
    typer.Option(
        "--broker-url", help="Pact Broker base URL [default: $PACT_BROKER_BASE_URL]", show_default=False
    ),
]
BrokerUsername = Annotated[
    str | None, typer.Option("--broker-username", help="[default: $PACT_BROKER_USERNAME]", show_default=False)
]
BrokerPassword = Annotated[
    str | None, typer.Option("--broker-password", help="[default: $PACT_BROKER_PASSWORD]", show_default=False)
]
BrokerToken = Annotated[
    str | None, typer.Option("--broker-token", help="[default: $PACT_BROKER_TOKEN]", show_default=False)
]


def broker_settings(
    url: str | None, username: str | None = None, password: str | None = None, token: str | None = None
) -> BrokerSettings:
    """The options given on the command line, completed from the environment."""
    settings = BrokerSettings()
    updates = {"base_url": url, "username": username, "password": password, "token": token}
    return settings.model_copy(update={k: v for k, v in updates.items() if v is not None})


def open_broker(settings: BrokerSettings) -> BrokerClient:
    if not settings.base_url:
        errors.print("[red]No broker: give --broker-url or set PACT_BROKER_BASE_URL[/red]")
        raise typer.Exit(2)
    return BrokerClient(settings.base_url, settings.username, settings.password, settings.token)


def verdict_text(deployable: bool | None) -> str:
    if deployable is True:
        return "[green]may deploy[/green]"
    if deployable is False:
        return "[red]may NOT deploy[/red]"
    return "[yellow]unknown (results missing): may NOT deploy[/yellow]"


def matrix_table(result: CanIDeployResult, title: str | None = None) -> Table:
    """Consumer version, provider version and whether that pair was verified, one row per pair."""
    table = Table(title=title, title_justify="left")
    for column in ("Consumer", "C.version", "Provider", "P.version", "Verified"):
        table.add_column(column, overflow="fold")
    for row in result.rows:
        verified = {
            True: "[green]yes[/green]",
            False: "[red]failed[/red]",
            None: "[yellow]no result[/yellow]",
        }
        table.add_row(
            row.consumer,
            _short(row.consumer_version),
            row.provider,
            _short(row.provider_version),
            verified[row.verified] + (" (ignored)" if row.ignored else ""),
        )
    return table


def _short(version: str | None) -> str:
    if version is None:
        return "-"
    # Commit SHAs are unreadable in a table at full length; keep any +dirty suffix visible.
    sha, plus, rest = version.partition("+")
    return (sha[:12] if len(sha) == 40 else sha) + plus + rest
