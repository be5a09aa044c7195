"""`contracts services ...`: run the six TracSeq services on this machine."""

import signal
import time
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from services import DEFAULT_BASE_PORT, DEFAULT_HOST, SERVICES

app = typer.Typer(help="Run the six TracSeq services.", no_args_is_help=True)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # `kill` (and `make` being stopped) gets the same clean shutdown as Ctrl-C.
    raise KeyboardInterrupt


@app.command("up")
def up(
    host: str = typer.Option(DEFAULT_HOST, help="Interface every service listens on."),
    base_port: int = typer.Option(
        DEFAULT_BASE_PORT,
        help=f"First port; the services take consecutive ports in the order {', '.join(SERVICES)}.",
    ),
    gateway_port: int | None = typer.Option(None, help="Port of the gateway (overrides --base-port)."),
    sample_port: int | None = typer.Option(None, help="Port of the sample service."),
    storage_port: int | None = typer.Option(None, help="Port of the storage service."),
    sequencing_port: int | None = typer.Option(None, help="Port of the sequencing service."),
    notification_port: int | None = typer.Option(None, help="Port of the notification service."),
    event_port: int | None = typer.Option(None, help="Port of the event service."),
    log_level: str = typer.Option("info", help="uvicorn log level (info shows each request)."),
) -> None:
    """Start the six services, wired to each other over HTTP on this machine; Ctrl-C stops them all."""
    from services.runner import run_all  # imports all six apps: only when they are to run

    given = {
        "gateway": gateway_port,
        "sample": sample_port,
        "storage": storage_port,
        "sequencing": sequencing_port,
        "notification": notification_port,
        "event": event_port,
    }
    ports = {name: port for name, port in given.items() if port is not None}
    console = Console()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # A shell that starts us in the background sets SIGINT to "ignore"; Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with run_all(host, ports, base_port=base_port, log_level=log_level) as platform:
            table = Table(title="TracSeq services")
            table.add_column("service")
            table.add_column("url")
            for name in SERVICES:
                table.add_row(name, platform.urls[name])
            console.print(table)
            console.print(f"Public API: {platform.urls['gateway']}/api/samples — Ctrl-C stops all six.")
            try:
                while True:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                console.print("Stopping the services...")
    except OSError as exc:
        console.print(f"[red]{exc}[/red] — choose other ports with --base-port or --<service>-port.")
        raise typer.Exit(code=1) from exc
    console.print("All services stopped.")
