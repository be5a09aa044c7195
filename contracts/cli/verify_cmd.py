"""`contracts verify PROVIDER`: run the provider's verification modules against the broker (or local pacts).

It runs `pytest provider_verification/test_<provider>*.py` (the modules build their verification with
fixtures, e.g. the provider's own dependencies), passing the broker, the provider version and branch and
whether to publish through the variables the harness reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts._runs import run_provider_verification, verification_modules
from contracts.cli._common import BrokerUrl, broker_settings, console, errors
from contracts.versioning import VersionDetectionError, detect_version

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
    verifications: Annotated[
        Path, typer.Option("--verifications", help="folder of the verification modules")
    ] = Path("provider_verification"),
    broker_url: BrokerUrl = None,
) -> None:
    """Verify PROVIDER against its consumers' pacts; exit 1 if it does not honour them."""
    modules = verification_modules(verifications).get(provider, [])
    if not modules:
        errors.print(
            f"[red]No verification module for {provider!r}: {verifications}/test_{provider}*.py[/red]"
        )
        raise typer.Exit(2)
    url = None if pact_dir else broker_settings(broker_url).base_url
    if pact_dir is None and url is None:
        errors.print("[red]Give --broker-url (or PACT_BROKER_BASE_URL) or --pact-dir[/red]")
        raise typer.Exit(2)
    if publish and (provider_version is None or provider_branch is None):
        try:
            detected = detect_version()
        except VersionDetectionError as exc:
            errors.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        provider_version = provider_version or detected.number
        provider_branch = provider_branch or detected.branch
    console.print(f"Verifying {provider} ({', '.join(str(m) for m in modules)}) against {url or pact_dir}")
    run = run_provider_verification(
        Path.cwd(),
        provider,
        [m.resolve() for m in modules],
        broker_url=url,
        pact_dir=pact_dir.resolve() if pact_dir else None,
        provider_version=provider_version,
        provider_branch=provider_branch,
        publish=publish,
        capture=False,  # the verifier's own report goes straight to the terminal
    )
    if publish and run.success:
        console.print(f"Results published as {provider} {provider_version} (branch {provider_branch or '-'})")
    if not run.success:
        errors.print(
            f"[red]{provider} does not honour its consumers' pacts (pytest exit {run.exit_code})[/red]"
        )
        raise typer.Exit(1)
