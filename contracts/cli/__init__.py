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

from contracts.cli.broker_cmd import app as _broker_app  # noqa: E402
from contracts.cli.deploy_cmd import app as _deploy_app  # noqa: E402
from contracts.cli.pipeline_cmd import app as _pipeline_app  # noqa: E402
from contracts.cli.publish_cmd import app as _publish_app  # noqa: E402
from contracts.cli.verify_cmd import app as _verify_app  # noqa: E402

# Unnamed: their commands sit at the top level (`contracts publish`, `contracts can-i-deploy`, ...).
app.add_typer(_publish_app)
app.add_typer(_verify_app)
app.add_typer(_deploy_app)
app.add_typer(_pipeline_app)
app.add_typer(_broker_app, name="broker")


def main() -> None:
    app()
