"""The exclusion step of an audit: one call from the orchestrator (payproof/audit/run.py)."""

from __future__ import annotations

from dataclasses import dataclass

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.exclusion.decisions import DecisionSettings, decide_applications
from payproof.exclusion.excluded import find_excluded
from payproof.exclusion.fold import fold_application_flags
from payproof.exclusion.outputs import (
    exclusion_summary,
    office_extra,
    prepare_outputs,
    staff_extra,
)
from payproof.rules.model import Rules


@dataclass
class Exclusion:
    """What the audit's writers need: summary.json's block and the columns added to
    staff.csv and offices.csv."""

    summary: dict
    staff_extra: tuple[str, list[str]]
    office_extra: tuple[str, list[str]]
    has_population: bool


def run_exclusion(
    engine: DuckDBEngine,
    rules: Rules,
    first: str,
    last: str,
    *,
    has_population: bool,
    settings: DecisionSettings | None = None,
) -> Exclusion:
    """Excluded families and arrears, application tests and flags, in the store.

    Must run while the ``findings`` view exists (the bribe signature reads first payments).
    The legal term to decide an application is the rules file's
    ``applications.decision_term_days`` unless ``settings`` says otherwise.
    """
    s = settings or DecisionSettings(legal_term_days=rules.applications.decision_term_days)
    find_excluded(engine, rules, first, last, has_population=has_population)
    decide_applications(engine, s)
    prepare_outputs(engine, s.legal_term_days)
    fold_application_flags(engine, s.legal_term_days)
    return Exclusion(
        exclusion_summary(engine, s.legal_term_days, has_population),
        staff_extra(),
        office_extra(),
        has_population,
    )
