"""The report's numbers: SQL aggregates over the audit output folder.

``findings.parquet`` can hold tens of millions of rows, so it is never read into
Python: DuckDB scans it and only aggregates (a few thousand values) come back.
Money comes back as exact ``Decimal`` (Parquet DECIMAL, or CSV text cast to
DECIMAL in SQL); ratios are floats because they only drive chart geometry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from payproof.engine import DuckDBEngine
from payproof.engine.duckdb_engine import sql_literal
from payproof.engine.export import restored
from payproof.errors import InputError
from payproof.i18n import EN, N_, Translator
from payproof.report.fmt import to_decimal
from payproof.report.wording import STATUS_ORDER

OUTPUT_FILES = (
    "findings.parquet",
    "families.csv",
    "staff.csv",
    "offices.csv",
    "rejects.csv",
    "summary.json",
)
RATIO_BINS = 25  # bins of 0.05 from 0.00; the last one is "1.20 and above"
BIN_WIDTH = 0.05
TOP_DISTRICTS = 15
TOP_OFFICES = 10
TOP_STAFF = 25
TOP_CLERK_HISTOGRAMS = 12
TOP_CLERK_DOTS = 40
FIRST_REJECTS = 20

# Reject values are shown only for columns that cannot identify a beneficiary.
SAFE_REJECT_COLUMNS = frozenset(
    {
        "period",
        "amount",
        "amount_claimed",
        "paid_on",
        "reported_on",
        "filed_on",
        "channel",
        "source",
        "category",
        "office_id",
        "staff_id",
        "region",
        "district",
        "role",
        "parent_office_id",
    }
)
MONEY = ("entitled", "disbursed", "received", "delivered", "owed", "not_disbursed",
         "lost_in_delivery", "excess")  # fmt: skip

WITHHELD = N_("(withheld)")  # shown instead of a rejected value that could identify a family


@dataclass(frozen=True)
class StatusRow:
    status: str
    family_periods: int
    families: int
    money: dict[str, Decimal]


@dataclass(frozen=True)
class DistrictRow:
    district: str
    families_owed: int
    owed: Decimal
    not_disbursed: Decimal
    lost_in_delivery: Decimal
    excess: Decimal


@dataclass(frozen=True)
class MonthRow:
    period: str
    money: dict[str, Decimal]


@dataclass(frozen=True)
class ClerkRatios:
    """One flagged clerk's received ÷ disbursed distribution over family-months."""

    staff_id: str
    office_id: str
    lines: int
    counts: list[int]
    p25: float
    median: float
    p75: float
    office_median: float | None
    lost: Decimal
    q_value: float | None
    flag_reason: str


@dataclass(frozen=True)
class OfficeRow:
    office_id: str
    name: str
    district: str
    families: int
    entitled: Decimal
    disbursed: Decimal
    delivered: Decimal
    owed: Decimal
    lost_in_delivery: Decimal
    staff: int
    flagged_staff: int


@dataclass(frozen=True)
class StaffRow:
    staff_id: str
    office_id: str
    district: str
    verified_lines: int
    short_lines: int
    disbursed: Decimal
    lost: Decimal
    median_ratio: float | None
    peer_short_rate: float | None
    q_value: float | None
    complaints: int
    bribe_complaints: int
    flagged: bool
    flag_reason: str


@dataclass(frozen=True)
class FlaggedUnit:
    """A flagged office or region with what its tests found (older outputs: none)."""

    kind: str  # "office" or "region"
    unit_id: str
    name: str
    where: str
    verified_lines: int
    short_lines: int
    rates: dict[str, float | None]  # yardstick name -> its short rate
    q_values: dict[str, float | None]
    flag_months: str
    excess_lost: Decimal
    excess_low: Decimal
    excess_high: Decimal
    office_wide: bool
    flagged_by: str
    staff: int
    flagged_staff: int
    bribe_complaints: int
    not_paid_complaints: int
    material_lines: int = 0  # payments more than 5 % short


@dataclass(frozen=True)
class InputRow:
    table: str
    file: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int


@dataclass
class ReportData:
    """Everything the report shows, already aggregated."""

    out_dir: Path
    summary: dict
    currency: str
    statuses: list[StatusRow]
    totals: dict[str, Decimal]
    families_total: int
    families_owed: int
    staff_total: int
    staff_flagged: int
    offices_total: int
    districts: list[DistrictRow] = field(default_factory=list)
    districts_total: int = 0
    months: list[MonthRow] = field(default_factory=list)
    clerks: list[ClerkRatios] = field(default_factory=list)
    offices: list[OfficeRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    inputs: list[InputRow] = field(default_factory=list)
    reject_reasons: list[tuple[str, str, str, int]] = field(default_factory=list)
    first_rejects: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    rejects_total: int = 0
    warnings: list[str] = field(default_factory=list)
    flagged_units: list[FlaggedUnit] = field(default_factory=list)


def open_outputs(out_dir: Path, engine: DuckDBEngine) -> dict:
    """Check the folder, expose its files as views, and return summary.json."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(
            "The audit output folder does not exist.",
            where=str(out_dir),
            fix="Run `payproof audit INPUT --out OUT` first and pass OUT.",
        )
    missing = [name for name in OUTPUT_FILES if not (out_dir / name).is_file()]
    if missing:
        raise InputError(
            f"The audit output folder lacks {', '.join(missing)}.",
            where=str(out_dir),
            fix="Re-run `payproof audit` into this folder; the report needs all its files.",
        )
    try:
        summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"summary.json is not valid JSON ({exc}).",
            where=str(out_dir / "summary.json"),
            fix="Re-run `payproof audit` into this folder.",
        ) from exc
    engine.execute(
        "CREATE OR REPLACE VIEW findings AS SELECT * FROM read_parquet("
        f"{sql_literal(str(out_dir / 'findings.parquet'))})"
    )
    for name in ("families", "staff", "offices", "rejects"):
        path = sql_literal(str(out_dir / f"{name}.csv"))
        # Text as it was before the CSV writer neutralised cells a spreadsheet would run.
        engine.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT {restored('COLUMNS(*)')} FROM "
            f"read_csv({path}, header = true, all_varchar = true, auto_detect = true)"
        )
    return summary


def _dec(column: str) -> str:
    """A CSV money column (decimal text) as exact DECIMAL; blank counts as 0."""
    return f"coalesce(CAST(nullif(trim({column}), '') AS DECIMAL(18,2)), 0)"


def _int(column: str) -> str:
    return f"coalesce(CAST(nullif(trim({column}), '') AS BIGINT), 0)"


def _float(column: str) -> str:
    return f"CAST(nullif(trim({column}), '') AS DOUBLE)"


def _flagged(column: str = "flagged") -> str:
    return f"lower(trim(coalesce({column}, ''))) IN ('true', '1', 'yes')"


def status_rows(engine: DuckDBEngine) -> list[StatusRow]:
    """Family-months, families and money per status, in one scan of the findings."""
    sums = ", ".join(f"coalesce(sum({m}), 0)" for m in MONEY)
    rows = engine.rows(
        f"SELECT status, count(*), count(DISTINCT family_id), {sums} FROM findings GROUP BY status"
    )
    out = [
        StatusRow(
            r[0],
            int(r[1]),
            int(r[2]),
            {m: to_decimal(v) for m, v in zip(MONEY, r[3:], strict=True)},
        )
        for r in rows
    ]
    return sorted(out, key=lambda s: (_status_rank(s.status), s.status))


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def headline_counts(engine: DuckDBEngine) -> dict[str, int]:
    """Families (total / still owed) and staff (total / flagged) from the CSV outputs."""
    fam = engine.rows(
        f"SELECT count(*), count(*) FILTER (WHERE {_dec('owed_total')} > 0) FROM families"
    )[0]
    staff = engine.rows(f"SELECT count(*), count(*) FILTER (WHERE {_flagged()}) FROM staff")[0]
    offices = engine.scalar("SELECT count(*) FROM offices")
    return {
        "families_total": int(fam[0]),
        "families_owed": int(fam[1]),
        "staff_total": int(staff[0]),
        "staff_flagged": int(staff[1]),
        "offices_total": int(offices),
    }


def district_rows(engine: DuckDBEngine) -> tuple[list[DistrictRow], int]:
    """Districts by money still owed (top ones), and how many districts there are."""
    rows = engine.rows(
        "SELECT coalesce(district, '(unknown)') AS d, "
        "count(DISTINCT family_id) FILTER (WHERE owed > 0), coalesce(sum(owed), 0), "
        "coalesce(sum(not_disbursed), 0), coalesce(sum(lost_in_delivery), 0), "
        "coalesce(sum(excess), 0) FROM findings GROUP BY d"
    )
    ordered = sorted(rows, key=lambda r: (-to_decimal(r[2]), -to_decimal(r[5]), r[0]))
    out = [
        DistrictRow(r[0], int(r[1]), *(to_decimal(v) for v in r[2:]))
        for r in ordered[:TOP_DISTRICTS]
    ]
    return out, len(rows)


def month_rows(engine: DuckDBEngine) -> list[MonthRow]:
    sums = ", ".join(f"coalesce(sum({m}), 0)" for m in MONEY)
    rows = engine.rows(f"SELECT period, {sums} FROM findings GROUP BY period ORDER BY period")
    return [
        MonthRow(r[0], {m: to_decimal(v) for m, v in zip(MONEY, r[1:], strict=True)}) for r in rows
    ]


def clerk_ratios(engine: DuckDBEngine) -> list[ClerkRatios]:
    """Received ÷ disbursed per family-month for each flagged clerk, binned in SQL.

    Bins use integer arithmetic on minor units, so 0.70 falls exactly in the
    0.70–0.75 bin (a float division would put it in 0.65–0.70).
    """
    # A clerk flagged only on how applications were decided (payproof.exclusion) has no
    # payment flag to show here: its flagged_by is then its application tests alone.
    payment_flag = _flagged()
    if "application_flagged_by" in _columns(engine, "staff"):
        payment_flag += (
            " AND coalesce(flagged_by, '') IS DISTINCT FROM coalesce(application_flagged_by, '')"
        )
    top = engine.rows(
        f"SELECT staff_id, coalesce(office_id, ''), {_dec('lost')}, {_float('q_value')}, "
        f"coalesce(flag_reason, '') FROM staff WHERE {payment_flag} "
        f"ORDER BY {_dec('lost')} DESC, staff_id LIMIT {max(TOP_CLERK_DOTS, TOP_CLERK_HISTOGRAMS)}"
    )
    if not top:
        return []
    ids = ", ".join(sql_literal(r[0]) for r in top)
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _ratios AS SELECT staff_id, office_id, "
        "CAST(received * 100 AS HUGEINT) AS r, CAST(disbursed * 100 AS HUGEINT) AS d "
        f"FROM findings WHERE staff_id IN ({ids}) AND received IS NOT NULL AND disbursed > 0"
    )
    bins = {
        (s, int(b)): int(c)
        for s, b, c in engine.rows(
            f"SELECT staff_id, least((r * 20) // d, {RATIO_BINS - 1}) AS b, count(*) "
            "FROM _ratios GROUP BY ALL"
        )
    }
    quant = {
        s: (int(n), q)
        for s, n, q in engine.rows(
            "SELECT staff_id, count(*), quantile_cont(CAST(r AS DOUBLE) / CAST(d AS DOUBLE), "
            "[0.25, 0.5, 0.75]) FROM _ratios GROUP BY staff_id"
        )
    }
    offices = ", ".join(sorted({sql_literal(r[1]) for r in top}))
    office_median = dict(
        engine.rows(
            "SELECT office_id, median(CAST(received AS DOUBLE) / CAST(disbursed AS DOUBLE)) "
            f"FROM findings WHERE office_id IN ({offices}) AND received IS NOT NULL "
            "AND disbursed > 0 GROUP BY office_id"
        )
    )
    out = []
    for staff_id, office_id, lost, q, reason in top:
        lines, qs = quant.get(staff_id, (0, None))
        if not lines:
            continue
        out.append(
            ClerkRatios(
                staff_id=staff_id,
                office_id=office_id,
                lines=lines,
                counts=[bins.get((staff_id, b), 0) for b in range(RATIO_BINS)],
                p25=float(qs[0]),
                median=float(qs[1]),
                p75=float(qs[2]),
                office_median=office_median.get(office_id),
                lost=to_decimal(lost),
                q_value=q,
                flag_reason=reason,
            )
        )
    return out


def office_rows(engine: DuckDBEngine) -> list[OfficeRow]:
    rows = engine.rows(
        "SELECT office_id, coalesce(name, ''), coalesce(district, ''), "
        f"{_int('families')}, {_dec('entitled')}, {_dec('disbursed')}, {_dec('delivered')}, "
        f"{_dec('owed')}, {_dec('lost_in_delivery')}, {_int('staff')}, {_int('flagged_staff')} "
        f"FROM offices ORDER BY {_dec('owed')} DESC, {_dec('lost_in_delivery')} DESC, office_id "
        f"LIMIT {TOP_OFFICES}"
    )
    return [
        OfficeRow(
            r[0], r[1], r[2], int(r[3]), *(to_decimal(v) for v in r[4:9]), int(r[9]), int(r[10])
        )
        for r in rows
    ]


def staff_rows(engine: DuckDBEngine) -> list[StaffRow]:
    """Flagged staff first, then by money lost in delivery."""
    rows = engine.rows(
        "SELECT staff_id, coalesce(office_id, ''), coalesce(district, ''), "
        f"{_int('verified_lines')}, {_int('short_lines')}, {_dec('disbursed')}, {_dec('lost')}, "
        f"{_float('median_ratio')}, {_float('peer_short_rate')}, {_float('q_value')}, "
        f"{_int('complaints')}, {_int('bribe_complaints')}, {_flagged()}, "
        "coalesce(flag_reason, '') FROM staff "
        f"ORDER BY {_flagged()} DESC, {_dec('lost')} DESC, staff_id LIMIT {TOP_STAFF}"
    )
    return [
        StaffRow(r[0], r[1], r[2], int(r[3]), int(r[4]), to_decimal(r[5]), to_decimal(r[6]),
                 r[7], r[8], r[9], int(r[10]), int(r[11]), bool(r[12]), r[13])
        for r in rows
    ]  # fmt: skip


def _columns(engine: DuckDBEngine, view: str) -> set[str]:
    return {r[0] for r in engine.rows(f"SELECT column_name FROM (DESCRIBE {view})")}


def flagged_units(engine: DuckDBEngine, out_dir: Path) -> list[FlaggedUnit]:
    """Flagged offices (offices.csv) and regions (regions.csv), most money lost first.

    Output folders written before offices had tests of their own have neither the
    columns nor regions.csv: then there is nothing to list.
    """
    out: list[FlaggedUnit] = []
    columns = _columns(engine, "offices")
    material = (
        f"{_int('material_lines')}, {_float('material_region_q_value')}, "
        f"{_float('material_programme_q_value')}"
        if "material_lines" in columns
        else "0, NULL, NULL"
    )
    if {"flagged", "office_wide", "region_q_value"} <= columns:
        for r in engine.rows(
            "SELECT office_id, coalesce(name, ''), coalesce(district, ''), "
            f"{_int('verified_lines')}, {_int('short_lines')}, {_float('region_short_rate')}, "
            f"{_float('programme_short_rate')}, {_float('region_q_value')}, "
            f"{_float('programme_q_value')}, coalesce(flag_months, ''), "
            f"{_float('months_q_value')}, {_dec('excess_lost')}, {_dec('excess_lost_low')}, "
            f"{_dec('excess_lost_high')}, {_flagged('office_wide')}, coalesce(flagged_by, ''), "
            f"{_int('staff')}, {_int('flagged_staff')}, {_int('bribe_complaints')}, "
            f"{_int('not_paid_complaints')}, {material} FROM offices WHERE {_flagged()} "
            f"ORDER BY {_dec('excess_lost')} DESC, office_id LIMIT {TOP_OFFICES}"
        ):
            out.append(FlaggedUnit(
                "office", r[0], r[1], r[2], int(r[3]), int(r[4]),
                {"region": r[5], "programme": r[6]},
                {"region": r[7], "programme": r[8], "months": r[10],
                 "region_material": r[21], "programme_material": r[22]},
                r[9], to_decimal(r[11]), to_decimal(r[12]), to_decimal(r[13]), bool(r[14]),
                r[15], int(r[16]), int(r[17]), int(r[18]), int(r[19]), int(r[20]),
            ))  # fmt: skip
    path = out_dir / "regions.csv"
    if path.is_file():
        engine.execute(
            "CREATE OR REPLACE VIEW regions AS SELECT * FROM read_csv("
            f"{sql_literal(str(path))}, header = true, all_varchar = true)"
        )
        for r in engine.rows(
            f"SELECT region, {_int('verified_lines')}, {_int('short_lines')}, "
            f"{_float('peer_short_rate')}, {_float('q_value')}, {_dec('excess_lost')}, "
            f"{_dec('excess_lost_low')}, {_dec('excess_lost_high')}, {_int('staff')}, "
            f"{_int('flagged_staff')}, {_int('offices')}, {_int('flagged_offices')} "
            f"FROM regions WHERE {_flagged()} ORDER BY region"
        ):
            out.append(FlaggedUnit(
                "region", r[0], r[0], f"{r[11]} of {r[10]} offices flagged", int(r[1]),
                int(r[2]), {"programme": r[3]}, {"programme": r[4]}, "", to_decimal(r[5]),
                to_decimal(r[6]), to_decimal(r[7]), True, "programme", int(r[8]), int(r[9]),
                0, 0,
            ))  # fmt: skip
    return out


def input_rows(summary: dict) -> list[InputRow]:
    out = []
    for table, info in sorted((summary.get("inputs") or {}).items()):
        info = info or {}
        out.append(
            InputRow(
                table=str(table),
                file=str(info.get("file", "")),
                sha256=str(info.get("sha256", "")),
                rows_read=int(info.get("rows_read") or 0),
                rows_accepted=int(info.get("rows_accepted") or 0),
                rows_rejected=int(info.get("rows_rejected") or 0),
            )
        )
    return out


def reject_rows(engine: DuckDBEngine) -> tuple[list, list, int]:
    """Reject counts by table/column/reason and the first rejects (values only if safe)."""
    reasons = engine.rows(
        "SELECT coalesce(\"table\", ''), coalesce(\"column\", ''), coalesce(reason, ''), count(*) "
        "FROM rejects GROUP BY ALL ORDER BY 4 DESC, 1, 2, 3 LIMIT 30"
    )
    safe = ", ".join(sql_literal(c) for c in sorted(SAFE_REJECT_COLUMNS))
    first = engine.rows(
        "SELECT coalesce(\"table\", ''), coalesce(file, ''), coalesce(line, ''), "
        "coalesce(\"column\", ''), "
        f"CASE WHEN \"column\" IN ({safe}) THEN coalesce(value, '') ELSE '{WITHHELD}' END, "
        f"coalesce(reason, '') FROM rejects LIMIT {FIRST_REJECTS}"
    )
    total = int(engine.scalar("SELECT count(*) FROM rejects"))
    return reasons, first, total


def consistency_warnings(data: ReportData, tr: Translator = EN) -> list[str]:
    """Differences between summary.json and the data files: shown, never hidden."""
    out = []
    totals = data.summary.get("totals") or {}
    for key in ("owed", "entitled", "disbursed"):
        if key in totals and to_decimal(totals[key]) != data.totals[key]:
            out.append(
                tr._("summary.json gives total {key} {given}, but findings.parquet sums to "
                     "{actual}; the report uses findings.parquet.").format(
                    key=key, given=totals[key], actual=data.totals[key])
            )  # fmt: skip
    fam = data.summary.get("families") or {}
    if "owed" in fam and int(fam["owed"]) != data.families_owed:
        out.append(
            tr._("summary.json counts {given} families owed, families.csv {actual}; the report "
                 "uses families.csv.").format(given=fam["owed"], actual=data.families_owed)
        )  # fmt: skip
    return out


def load_report_data(out_dir: Path, *, engine: DuckDBEngine | None = None) -> ReportData:
    """Run every aggregate the report needs; the engine is in memory unless given."""
    own = engine is None
    db = engine or DuckDBEngine()
    try:
        summary = open_outputs(out_dir, db)
        statuses = status_rows(db)
        totals = {m: sum((s.money[m] for s in statuses), Decimal(0)) for m in MONEY}
        counts = headline_counts(db)
        districts, n_districts = district_rows(db)
        reasons, first, n_rejects = reject_rows(db)
        data = ReportData(
            out_dir=Path(out_dir),
            summary=summary,
            currency=str(summary.get("currency") or "KZT"),
            statuses=statuses,
            totals=totals,
            districts=districts,
            districts_total=n_districts,
            months=month_rows(db),
            clerks=clerk_ratios(db),
            offices=office_rows(db),
            staff=staff_rows(db),
            inputs=input_rows(summary),
            reject_reasons=reasons,
            first_rejects=first,
            rejects_total=n_rejects,
            **counts,
        )
        data.flagged_units = flagged_units(db, Path(out_dir))
        data.warnings = consistency_warnings(data)
        return data
    finally:
        if own:
            db.close()
