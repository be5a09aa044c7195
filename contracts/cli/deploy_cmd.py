"""`contracts can-i-deploy` and `contracts record-deployment`: the release gate and its bookkeeping."""

from __future__ import annotations

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
    matrix_table,
    open_broker,
    verdict_text,
)

app = typer.Typer()

Version = Annotated[str, typer.Option("--version", "-e", help="the pacticipant version (e.g. the git SHA)")]


@app.command("can-i-deploy")
def can_i_deploy(
    service: Annotated[str, typer.Argument(help="the pacticipant (service) name")],
    version: Version,
    to_environment: Annotated[str, typer.Option("--to-environment", help="target environment")],
    retry_while_unknown: Annotated[
        int, typer.Option(help="poll this many times while the verdict is unknown")
    ] = 0,
    retry_interval: Annotated[float, typer.Option(help="seconds between polls")] = 10.0,
    broker_url: BrokerUrl = None,
    broker_username: BrokerUsername = None,
    broker_password: BrokerPassword = None,
    broker_token: BrokerToken = None,
) -> None:
    """Ask the broker whether VERSION of SERVICE may be deployed; exit 1 when it may not (or cannot tell)."""
    settings = broker_settings(broker_url, broker_username, broker_password, broker_token)
    with open_broker(settings) as broker:
        try:
            result = broker.can_i_deploy(
                service,
                version,
                to_environment,
                retry_while_unknown=retry_while_unknown,
                retry_interval=retry_interval,
            )
        except BrokerError as exc:
            errors.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(matrix_table(result, title=f"{service} {version} → {to_environment}"))
    for notice in result.notices:
        console.print(f"  {notice}", markup=False)
    console.print(f"{service}: {verdict_text(result.deployable)}")
    if result.reason:
        console.print(result.reason, markup=False)
    # Like the official client: unknown is not a yes.
    if result.deployable is not True:
        raise typer.Exit(1)


@app.command("record-deployment")
def record_deployment(
    service: Annotated[str, typer.Argument(help="the pacticipant (service) name")],
    version: Version,
    environment: Annotated[str, typer.Option("--environment", help="the environment deployed to")],
    application_instance: Annotated[str | None, typer.Option("--application-instance")] = None,
    broker_url: BrokerUrl = None,
    broker_username: BrokerUsername = None,
    broker_password: BrokerPassword = None,
    broker_token: BrokerToken = None,
) -> None:
    """Record that VERSION of SERVICE now runs in ENVIRONMENT (the previous one there is undeployed)."""
    settings = broker_settings(broker_url, broker_username, broker_password, broker_token)
    with open_broker(settings) as broker:
        try:
            broker.record_deployment(service, version, environment, application_instance)
        except BrokerError as exc:
            errors.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"Recorded deployment of {service} {version} to {environment}")
