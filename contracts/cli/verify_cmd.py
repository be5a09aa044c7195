"""`contracts verify PROVIDER`: run the provider's verification against the broker (or local pacts).

It imports `provider_verification/test_<provider>*.py` and drives the `ProviderVerification` defined there
directly (no pytest run), so the broker, versions and publishing come from these options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts._discovery import find_verifications
from contracts.broker_client import BrokerError
from contracts.cli._common import (
    BrokerPassword,
    BrokerToken,
    BrokerUrl,
    BrokerUsername,
    broker_settings,
    console,
    errors,
)
from contracts.verification import VerificationResult

app = typer.Typer()


@app.command("verify")
def verify(
    provider: Annotated[str, typer.Argument(help="the provider to verify, e.g. sample")],
    pact_dir: Annotated[
        Path | None, typer.Option("--pact-dir", help="verify these local pact files instead of the broker's")
    ] = None,
    provider_version: Annotated[str | None, typer.Option(help="[default: detected from CI or git]")] = None,
    provider_branch: Annotated[str | None, typer.Option(help="[default: detected from CI or git]")] = None,
    publish: Annotated[bool, typer.Option("--publish/--no-publish", help="publish the results")] = False,
    consumer: Annotated[list[str] | None, typer.Option("--consumer", help="only these consumers")] = None,
    verifications: Annotated[
        Path, typer.Option("--verifications", help="folder of the verification modules")
    ] = Path("provider_verification"),
    broker_url: BrokerUrl = None,
    broker_username: BrokerUsername = None,
    broker_password: BrokerPassword = None,
    broker_token: BrokerToken = None,
) -> None:
    """Verify PROVIDER against its consumers' pacts; exit 1 if it does not honour them."""
    found = find_verifications(verifications, provider).get(provider, [])
    if not found:
        errors.print(
            f"[red]No ProviderVerification for {provider!r} in {verifications}/test_{provider}*.py[/red]"
        )
        raise typer.Exit(2)
    settings = broker_settings(broker_url, broker_username, broker_password, broker_token)
    if pact_dir is None and not settings.base_url:
        errors.print("[red]Give --broker-url (or PACT_BROKER_BASE_URL) or --pact-dir[/red]")
        raise typer.Exit(2)
    results: list[VerificationResult] = []
    for verification in found:
        try:
            results.append(
                verification.verify(
                    pact_dir=pact_dir,
                    broker_url=None if pact_dir else settings.base_url,
                    broker_username=settings.username,
                    broker_password=settings.password,
                    broker_token=settings.token,
                    provider_version=provider_version,
                    provider_branch=provider_branch,
                    publish=publish,
                    consumers=consumer,
                    raises=False,
                )
            )
        except (BrokerError, ValueError, FileNotFoundError) as exc:
            errors.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    for result in results:
        colour = "green" if result.success else "red"
        console.print(f"[{colour}]{result.report()}[/{colour}]", highlight=False)
        if result.published:
            console.print(f"  results published as {provider} {result.provider_version}")
    if not all(r.success for r in results):
        raise typer.Exit(1)
