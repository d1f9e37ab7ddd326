"""``payproof serve DIR`` and ``payproof portal load|export|add-helper``.

Imported only when one of these commands runs, so the rest of the CLI never loads Django.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

app = typer.Typer(
    help="The beneficiaries' web portal: load statements, export grievances.", no_args_is_help=True
)

DATABASE_HELP = (
    "postgresql://user:password@host:port/name (default: $PAYPROOF_DATABASE_URL, else SQLite "
    "in the data folder)."
)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def data_dir_of(folder: Path) -> Path:
    """A demo or programme folder keeps the portal's files in ``folder/portal``."""
    return Path(folder) / "portal"


def _start(folder: Path, database: str | None, *, http_dev: bool = False) -> None:
    from payproof.portal.setup import configure, migrate

    configure(
        data_dir_of(folder), database or os.environ.get("PAYPROOF_DATABASE_URL"), http_dev=http_dev
    )
    migrate()


def serve(
    folder: Path = typer.Argument(
        ..., help="The demo or programme folder (portal data in FOLDER/portal)."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    sms: str = typer.Option(
        "console", "--sms", help="console, file (FOLDER/portal/outbox) or http."
    ),
    audit: Path = typer.Option(
        None,
        "--audit",
        help="Load this audit's statements first (default: FOLDER/audit when "
        "nothing is loaded yet).",
    ),
) -> None:
    """Run the beneficiaries' portal (development server; production: gunicorn, docs/portal.md)."""
    os.environ["PAYPROOF_SMS"] = sms
    _start(folder, database, http_dev=host in LOOPBACK)
    from django.core.management import call_command

    from payproof.portal.load import load_audit
    from payproof.portal.models import AuditRun, Family
    from payproof.portal.setup import prepare_ledger

    vkey = prepare_ledger()
    source = audit or (folder / "audit")
    if audit or (not AuditRun.objects.exists() and (source / "findings.parquet").exists()):
        r = load_audit(source)
        typer.echo(f"loaded {r.statements:,} statements of {r.families:,} families from {source}")
    from payproof.portal.demo import sample_iins

    run = AuditRun.objects.filter(current=True).first()
    sample = sample_iins(Path(run.source)) if run else []
    if not sample:
        sample = list(
            Family.objects.exclude(iin="")
            .exclude(phone="")
            .order_by("family_id")
            .values_list("iin", flat=True)[:3]
        )
    typer.echo(f"ledger verifier key: {vkey}")
    if sample:
        typer.echo("sign in as a demo mother: IIN " + ", ".join(sample))
    typer.echo(f"one-time codes: {sms}; open http://{host}:{port}/  (Ctrl-C stops)")
    call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)


@app.command()
def load(
    audit_out: Path = typer.Argument(..., help="An audit's --out folder."),
    folder: Path = typer.Option(
        ..., "--dir", help="The programme folder served by 'payproof serve'."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Load an audit's statements; a newer audit replaces them atomically, grievances stay."""
    _start(folder, database)
    from payproof.portal.load import load_audit

    r = load_audit(audit_out)
    typer.echo(
        f"run {r.run_id}: {r.statements:,} statements of {r.families:,} families loaded "
        f"({r.replaced:,} previous statements replaced; grievances kept)"
    )


@app.command()
def export(
    out: Path = typer.Argument(..., help="Folder for grievances.csv and receipts.csv."),
    folder: Path = typer.Option(
        ..., "--dir", help="The programme folder served by 'payproof serve'."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
    operator: str = typer.Option(
        None,
        "--operator",
        help="Who takes the data, for the access log (default: $PAYPROOF_OPERATOR, else "
        "user@host).",
    ),
) -> None:
    """Write the portal's grievances and mothers' confirmations in the input contract; each
    family whose data is written gets an access record naming the operator."""
    _start(folder, database)
    from payproof.portal.export import export as write

    g, r = write(out, operator)
    typer.echo(f"{g} grievances and {r} confirmations written to {out}")


@app.command("add-helper")
def add_helper(
    username: str = typer.Argument(...),
    folder: Path = typer.Option(
        ..., "--dir", help="The programme folder served by 'payproof serve'."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a service-point clerk or NGO volunteer account for assisted mode."""
    _start(folder, database)
    from payproof.portal.helpers import create_helper

    _, device = create_helper(username, password)
    typer.echo(f"helper {username} created")
    _show_totp(device)


def _show_totp(device) -> None:
    typer.echo(
        "add this key to the helper's authenticator app (scan it as a QR code or type it); "
        "she signs in with her password and the app's 6-digit code:"
    )
    typer.echo(device.config_url)


@app.command("helper-totp")
def helper_totp(
    username: str = typer.Argument(...),
    folder: Path = typer.Option(
        ..., "--dir", help="The programme folder served by 'payproof serve'."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Give a helper a new authenticator key (a lost phone); the old one stops working."""
    _start(folder, database)
    from payproof.portal.helpers import reissue_totp

    _show_totp(reissue_totp(username))


@app.command()
def status(
    tracking: str = typer.Argument(..., help="The grievance's tracking number (G-…)."),
    state: str = typer.Argument(..., help="received, under_review, resolved or rejected."),
    note: str = typer.Option("", "--note", help="What was done (shown to the mother)."),
    folder: Path = typer.Option(
        ..., "--dir", help="The programme folder served by 'payproof serve'."
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Record a step of a grievance's handling; the mother sees it in her status history."""
    _start(folder, database)
    from payproof.portal.status import set_status

    set_status(tracking, state, note)
    typer.echo(f"{tracking}: {state}")


@app.command()
def init(
    folder: Path = typer.Argument(..., help="The programme folder (portal data in FOLDER/portal)."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Create or update the portal's tables and its grievance ledger (run before gunicorn)."""
    _start(folder, database)
    from payproof.portal.setup import prepare_ledger

    typer.echo(f"portal ready in {data_dir_of(folder)}; ledger verifier key: {prepare_ledger()}")
