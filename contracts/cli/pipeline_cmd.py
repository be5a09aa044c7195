"""`contracts pipeline`: consumer tests → publish → verify providers → can-i-deploy → record-deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts.broker_client import BrokerError, CanIDeployResult
from contracts.cli._common import BrokerUrl, broker_settings, console, errors, matrix_table, verdict_text
from contracts.pipeline import DEFAULT_VERIFICATION_RUNS, Pipeline, PipelineResult, ServiceVerdict
from contracts.versioning import VersionDetectionError

app = typer.Typer()


class RichReporter:
    """Stage headers, one line per step, and the time each stage took, as they happen."""

    def stage_started(self, name: str, total: int | None = None) -> None:
        console.rule(f"[bold]{name}[/bold]", align="left")
        self._status = console.status(f"{name}…")
        self._status.start()

    def step(self, text: str) -> None:
        self._status.update(text)
        console.print(f"  {text}", highlight=False)

    def stage_finished(self, name: str, seconds: float, summary: str) -> None:
        self._status.stop()
        console.print(f"  [bold]{name}[/bold]: {summary} [dim]({seconds:.2f}s)[/dim]", highlight=False)


@app.command("pipeline")
def pipeline(
    broker_url: BrokerUrl = None,
    environment: Annotated[str, typer.Option("--environment", help="where to deploy")] = "production",
    project_dir: Annotated[Path, typer.Option("--project-dir", help="the project root")] = Path("."),
    show_output: Annotated[
        bool, typer.Option("--show-output", help="print every suite's full output")
    ] = False,
    parallel: Annotated[
        int, typer.Option("--parallel", help="pytest processes sharing the provider verifications")
    ] = DEFAULT_VERIFICATION_RUNS,
) -> None:
    """Run the whole contract pipeline; exit 1 unless every service may deploy.

    Without --broker-url (or PACT_BROKER_BASE_URL) an embedded broker with a throw-away database is used.
    """
    url = broker_settings(broker_url).base_url
    try:
        result = Pipeline(
            project_dir, broker_url=url, environment=environment, reporter=RichReporter(), parallel=parallel
        ).run()
    except (BrokerError, VersionDetectionError) as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    _print(result, show_output)
    if not result.ok:
        raise typer.Exit(1)


def _print(result: PipelineResult, show_output: bool) -> None:
    console.rule("[bold]result[/bold]", align="left")
    console.print(
        f"version {result.version.number} (branch {result.version.branch or '-'}) on {result.broker_url}"
    )
    suites = [result.consumer_tests] if result.consumer_tests else []
    for run in [*suites, *result.verifications]:
        if show_output or not run.success:
            colour = "green" if run.success else "red"
            console.rule(f"[{colour}]{run.name}: {run.summary}[/{colour}]", align="left")
            console.print(run.output if show_output else _tail(run.output), markup=False, highlight=False)
    for error in result.publish_errors:
        console.print(f"[red]{error}[/red]", highlight=False)
    for verdict in result.verdicts:
        if verdict.rows:
            console.print(matrix_table_for(verdict))
    verdicts = Table(title=f"can-i-deploy to {result.environment}", title_justify="left")
    for column in ("Service", "Verdict", "Recorded", "Reason"):
        verdicts.add_column(column, overflow="fold")
    for verdict in result.verdicts:
        verdicts.add_row(
            verdict.service,
            verdict_text(verdict.deployable),
            "yes" if verdict.recorded else "no",
            verdict.error or verdict.reason,
        )
    console.print(verdicts)
    timings = Table(title="stage timings", title_justify="left")
    timings.add_column("Stage")
    timings.add_column("Seconds", justify="right")
    for stage, seconds in result.timings.items():
        timings.add_row(stage, f"{seconds:.2f}")
        if stage == "provider verification":
            for run in result.verifications:
                timings.add_row(f"  {run.name}", f"{run.seconds:.2f}")
    timings.add_row("[bold]total[/bold] (wall clock; stages overlap)", f"[bold]{result.seconds:.2f}[/bold]")
    console.print(timings)
    console.print(
        "[green]every service may deploy[/green]" if result.ok else "[red]NOT every service may deploy[/red]"
    )


def _tail(output: str, lines: int = 60) -> str:
    kept = output.rstrip().splitlines()
    return "\n".join(kept[-lines:])


def matrix_table_for(verdict: ServiceVerdict) -> Table:
    answer = CanIDeployResult(verdict.deployable, verdict.reason, verdict.rows)
    return matrix_table(answer, title=f"{verdict.service} {verdict.version}")
