"""The `contracts` command line: one Typer app, one module per group of commands."""

import typer

app = typer.Typer(
    name="contracts",
    help="TracSeq Contracts: services, broker, publishing, verification and the release gate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """TracSeq Contracts command line."""


from contracts.cli.services_cmd import app as _services_app  # noqa: E402

app.add_typer(_services_app, name="services")


def main() -> None:
    app()
