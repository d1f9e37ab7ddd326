"""``payproof ledger ...`` (owned by the ledger package)."""

import typer

app = typer.Typer(
    help="The tamper-evident public log of payments, receipts and complaints.", no_args_is_help=True
)
