"""`contracts broker serve`: run the Pact-Broker-compatible broker (embedded SQLite by default)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the Pact-Broker-compatible broker.", no_args_is_help=True)


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="Interface (default: PACT_BROKER_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: PACT_BROKER_PORT or 9292)."),
    database_url: str | None = typer.Option(
        None,
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
        "(default: PACT_BROKER_DATABASE_URL or sqlite:///./.data/broker.sqlite).",
    ),
    base_url: str | None = typer.Option(None, help="External base URL for links, e.g. behind a proxy."),
    workers: int | None = typer.Option(
        None,
        min=1,
        help="Server processes (default: PACT_BROKER_WORKERS or 1). More than one suits PostgreSQL; "
        "SQLite lets one process write at a time.",
    ),
    threads: int | None = typer.Option(
        None,
        min=1,
        help="Requests each process works on at once (default: PACT_BROKER_THREADS, or 1 with several "
        "processes, else 2); 1 runs them on the event loop, without a thread.",
    ),
) -> None:
    """Migrate the database to the newest schema, then serve the broker until Ctrl-C or SIGTERM."""
    # Imported here, not at the top: every `contracts` command would otherwise pay for the broker's imports.
    import uvicorn
    from sqlalchemy.engine import make_url

    from broker.app import create_app
    from broker.settings import BrokerSettings

    settings = BrokerSettings()  # PACT_BROKER_* variables; the options given here win over them
    given = {
        "host": host,
        "port": port,
        "database_url": database_url,
        "base_url": base_url,
        "workers": workers,
        "threads": threads,
    }
    settings = settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    where = f"http://{settings.host}:{settings.port}"
    log_level = settings.log_level.lower()
    if settings.workers == 1:
        broker = create_app(settings)  # runs the migrations: an older schema is upgraded in place
        typer.echo(f"Broker on {where} (database {shown})", err=True)
        # uvicorn handles SIGINT/SIGTERM itself and shuts down gracefully.
        uvicorn.run(broker, host=settings.host, port=settings.port, log_level=log_level)
        return
    # Several processes, each with a listening socket of its own (`broker.serving`); it migrates once.
    from broker.serving import serve as serve_workers

    typer.echo(f"Broker on {where} (database {shown}, {settings.workers} workers)", err=True)
    serve_workers(settings)
