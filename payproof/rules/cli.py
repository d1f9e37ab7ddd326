"""``payproof rules ...``: check a rules file and show the amounts it gives."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from payproof.errors import RulesError
from payproof.money import format_major
from payproof.periods import is_period, period_of
from payproof.rules.calc import entitlement_amount
from payproof.rules.loader import load_rules

app = typer.Typer(
    help="Programme rules: check a rules file, show the monthly amounts it gives.",
    no_args_is_help=True,
)
console = Console()


def _show_value(value, decimals: int) -> str:
    if isinstance(value, int):
        return _decimal(value, decimals)
    return ", ".join(f"{k}: {_decimal(v, decimals)}" for k, v in value.items())


def _decimal(value: int, decimals: int) -> str:
    if decimals == 0:
        return str(value)
    whole, frac = divmod(value, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


@app.command("check")
def check(
    file: str = typer.Argument(..., help="The rules YAML file (or a built-in name) to validate."),
) -> None:
    """Validate a rules file and print a summary (exit code 5 if it is invalid)."""
    rules = load_rules(file)
    console.print(f"[bold green]OK[/] {rules.label}  {rules.title}", highlight=False)
    console.print(f"source: {rules.source}\nsha256: {rules.sha256}", highlight=False)
    f, el = rules.formula, rules.eligibility
    console.print(
        f"formula: {f.kind} (rounding {f.rounding}); eligible from {el.min_children} children "
        f"under {el.age_limit}"
        + (f" or students under {el.student_age_limit}" if el.student_age_limit else ""),
        highlight=False,
    )
    table = Table("parameter", "from", "value", title="Parameters")
    for param in rules.parameters.values():
        for entry in param.entries:
            table.add_row(
                param.name, entry.start.isoformat(), _show_value(entry.value, param.decimals)
            )
    console.print(table)


@app.command("table")
def amounts_table(
    rules_file: str = typer.Option(
        None, "--rules", help="Rules YAML file or built-in name (default: kz-large-family)."
    ),
    period: str = typer.Option(
        None, "--period", help="Month YYYY-MM (default: the current month)."
    ),
    max_children: int = typer.Option(10, "--max-children", min=1, help="Rows 1..N."),
) -> None:
    """Print the monthly amount for 1..10 counted children in one month."""
    rules = load_rules(rules_file)
    period = period or period_of(date.today())
    if not is_period(period):
        raise RulesError(f"Not a period: {period!r}.", where="--period", fix="use YYYY-MM.")
    console.print(f"{rules.label}, {period} (rules sha256 {rules.sha256[:16]})", highlight=False)
    table = Table("children", f"monthly amount ({rules.currency})")
    for n in range(1, max_children + 1):
        table.add_row(str(n), format_major(entitlement_amount(rules, n, period)))
    console.print(table)
