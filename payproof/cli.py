"""The ``payproof`` command line.

Each command is a thin wrapper: the work lives in the packages that show the
flow (ingest -> rules -> reconcile -> report; ledger; linkage; scenario).
User errors print a plain message and exit with a documented code; see
``payproof --help``.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from payproof import __version__
from payproof.errors import EXIT_CODES_HELP, PayproofError, out_of_memory

err_console = Console(stderr=True)

app = typer.Typer(
    name="payproof",
    help="Prove where social-benefit money went.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"payproof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Prove where social-benefit money went."""


def _register() -> None:
    """Attach the commands of each package (imported here to keep start-up light)."""
    from payproof.audit.cli import audit, demo
    from payproof.ingest.cli import inspect
    from payproof.ledger.cli import app as ledger_app
    from payproof.linkage.cli import explain, ghosts
    from payproof.report.cli import report
    from payproof.rules.cli import app as rules_app
    from payproof.scenario.cli import generate

    app.command("demo", help=demo.__doc__)(demo)
    app.command("audit", help=f"{audit.__doc__}\n\n{EXIT_CODES_HELP}")(audit)
    app.command("ghosts", help=ghosts.__doc__)(ghosts)
    app.command("inspect", help=inspect.__doc__)(inspect)
    app.command("explain", help=explain.__doc__)(explain)
    app.command("generate", help=generate.__doc__)(generate)
    app.command("report", help=report.__doc__)(report)
    app.add_typer(rules_app, name="rules")
    app.add_typer(ledger_app, name="ledger")


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into messages and exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except PayproofError as exc:
        err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Aborted.")
        return 130
    except Exception as exc:  # usage errors arrive here in standalone_mode=False
        # Typer may vendor its own click, so recognise click exceptions by shape.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return exc.exit_code
        if (oom := out_of_memory(exc)) is not None:
            err_console.print(f"[bold red]Error:[/] {oom.message}", highlight=False)
            return oom.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
