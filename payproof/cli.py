"""The ``payproof`` command line.

Each command is a thin wrapper: the work lives in the packages that show the
flow (ingest -> rules -> reconcile -> report; ledger; linkage; scenario).
User errors print a plain message and exit with a documented code; see
``payproof --help``.
"""

from __future__ import annotations

import signal
import sys

import typer
from rich.console import Console

from payproof import __version__
from payproof.errors import EXIT_CODES_HELP, EXIT_INTERRUPTED, PayproofError, out_of_memory
from payproof.lifecycle import interrupt

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


_registered: list[bool] = []


def _register() -> None:
    """Attach the commands of each package, once.

    Called by :func:`main` with the signal handlers already in place: importing the
    packages takes a while (DuckDB, SciPy), and a Ctrl-C then is an interruption
    like any other (exit 130, no traceback).
    """
    if _registered:
        return
    _registered.append(True)
    from payproof.audit.cli import audit, demo
    from payproof.ingest.cli import inspect
    from payproof.ledger.cli import app as ledger_app
    from payproof.linkage.cli import explain, ghosts
    from payproof.portal.cli import app as portal_app
    from payproof.portal.cli import serve
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
    app.command("serve", help=serve.__doc__)(serve)  # Django is imported only when it runs
    app.add_typer(portal_app, name="portal")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into messages and exit codes.

    SIGINT and SIGTERM are recorded for the whole command: if one arrived, the
    command exits 130 and says "Interrupted", whatever exception (or none) it
    surfaced as — typer's exit value, DuckDB's "Query interrupted", or an error
    that wrapped it. The run lifecycle never puts a result in place after one.

    Called as the program (``argv`` None), signals are ignored once the command has
    finished: Python then takes about a second to shut down (DuckDB's threads), and a
    signal there would kill a finished command — exit 143, no message — whose result
    is already complete and whose exit code has been decided.
    """
    try:
        return _main(argv)
    finally:
        if argv is None:
            interrupt.ignore_from_now()


def _main(argv: list[str] | None) -> int:
    with interrupt.handled():
        try:
            _register()
            code = _dispatch(argv)
        except BaseException:
            if interrupt.received() is None:
                raise
            code = EXIT_INTERRUPTED
    signum = interrupt.received()
    if signum is None and code != EXIT_INTERRUPTED:
        return code
    name = signal.Signals(signum).name if signum is not None else "Ctrl-C"
    err_console.print(
        f"[bold red]Interrupted[/] ({name}): payproof stopped before finishing.", highlight=False
    )
    for line in interrupt.notes():
        err_console.print(line, highlight=False)
    return EXIT_INTERRUPTED


def _dispatch(argv: list[str] | None) -> int:
    """Run the command; map what it raised (or returned) to an exit code."""
    try:
        returned = app(args=argv, standalone_mode=False)
    except PayproofError as exc:
        if interrupt.received() is not None:
            raise
        err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    except Exception as exc:  # usage errors arrive here in standalone_mode=False
        if interrupt.received() is not None:
            raise
        # Typer may vendor its own click, so recognise click exceptions by shape.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return exc.exit_code
        if (oom := out_of_memory(exc)) is not None:
            err_console.print(f"[bold red]Error:[/] {oom.message}", highlight=False)
            return oom.exit_code
        raise
    # In standalone_mode=False, typer returns the code of an Exit it caught (130 for a
    # KeyboardInterrupt it turned into one); a command's own return value is None.
    return returned if isinstance(returned, int) else 0


if __name__ == "__main__":
    sys.exit(main())
