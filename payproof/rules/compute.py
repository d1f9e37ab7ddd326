"""Compute every family's monthly entitlement from the rules, in SQL.

A chain of portable steps (plain SELECTs materialised with CREATE TABLE AS):

1. ``periods``  -- one row per month, with the first-of-month cut-off dates as
   literals (so the SQL needs no date functions at all);
2. ``params``   -- the effective-dated parameters, as literal rows;
3. ``terms``    -- per month, the parameter values in force on its first day;
4. ``scale``    -- per month, the scale (count -> coefficient) in force;
5. ``counts``   -- per family and month, the children who count (one set-based
   pass over children x months, the only heavy step);
6. the result   -- counts joined to families (registration month) and terms,
   with the integer rounding written as ``%`` arithmetic.

``calc.py`` is the one-case reference; tests check that both agree.
"""

from __future__ import annotations

from datetime import date

from payproof.engine.duckdb_engine import sql_literal
from payproof.errors import InputError, RulesError
from payproof.money import MINOR_PER_MAJOR
from payproof.periods import add_months, is_period, period_range, period_start
from payproof.rules.calc import years_before
from payproof.rules.model import Rules

FAR_FUTURE = date(9999, 12, 31)
NEEDED_COLUMNS = {
    "families": ("family_id", "registered_on"),
    "children": ("family_id", "birth_date", "death_date", "student_until"),
}


def _date(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def check_periods(rules: Rules, first_period: str, last_period: str) -> list[str]:
    """The months to compute; every parameter must be in force on the first one's 1st."""
    for label, period in (("first_period", first_period), ("last_period", last_period)):
        if not is_period(period):
            raise RulesError(
                f"Not a period: {period!r}.", where=label, fix="write periods as YYYY-MM."
            )
    if first_period > last_period:
        raise RulesError(
            f"first_period {first_period} is after last_period {last_period}.",
            where="periods",
            fix="give the earlier month first.",
        )
    day = period_start(first_period)
    for param in rules.used_parameters():
        param.at(day, source=rules.source)  # raises RulesError naming the gap
    return period_range(first_period, last_period)


def periods_sql(rules: Rules, periods: list[str]) -> str:
    """Literal month rows: first day, next month's first day and the birth cut-offs."""
    el = rules.eligibility
    rows = []
    for period in periods:
        day = period_start(period)
        student_limit = el.student_age_limit or el.age_limit
        rows.append(
            f"({sql_literal(period)}, {_date(day)}, {_date(period_start(add_months(period, 1)))}, "
            f"{_date(years_before(day, el.age_limit))}, "
            f"{_date(years_before(day, student_limit))})"
        )
    return (
        "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS t(period, first_day, next_day, "
        "minor_born_after, student_born_after)"
    )


def params_sql(rules: Rules) -> str:
    """The formula's parameters as rows (role, n, valid_from, valid_until, value).

    Coefficients are rescaled to one common number of decimals so that SQL and
    Python multiply the same integers.
    """
    f = rules.formula
    kc = rules.coefficient_decimals
    roles = {"base": f.base, "coefficient": f.coefficient, "scale": f.scale}
    roles["per_child"] = f.per_child
    rows = []
    for role, name in roles.items():
        if name is None:
            continue
        param = rules.parameters[name]
        factor = 1 if role == "base" else 10 ** (kc - param.decimals)
        entries = param.entries
        for i, entry in enumerate(entries):
            until = entries[i + 1].start if i + 1 < len(entries) else FAR_FUTURE
            items = entry.value.items() if param.is_scale else [(None, entry.value)]
            for n, value in items:
                n_sql = "CAST(NULL AS INTEGER)" if n is None else f"CAST({n} AS INTEGER)"
                rows.append(
                    f"({sql_literal(role)}, {n_sql}, {_date(entry.start)}, {_date(until)}, "
                    f"CAST({value * factor} AS BIGINT))"
                )
    return (
        "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS t(role, n, valid_from, "
        "valid_until, value)"
    )


def terms_sql(periods: str, params: str) -> str:
    """Per month, the single-valued parameters in force on its first day (a pivot)."""
    pivots = ",\n  ".join(
        f"MAX(CASE WHEN v.role = '{role}' THEN v.value END) AS {role}"
        for role in ("base", "coefficient", "per_child")
    )
    return f"""SELECT p.period, p.next_day,
  {pivots},
  MAX(CASE WHEN v.role = 'scale' THEN v.n END) AS scale_max
FROM {periods} p
JOIN {params} v ON v.valid_from <= p.first_day AND p.first_day < v.valid_until
GROUP BY p.period, p.next_day"""


def scale_sql(periods: str, params: str) -> str:
    """Per month and count, the scale coefficient in force on its first day."""
    return f"""SELECT p.period, v.n, v.value
FROM {periods} p
JOIN {params} v ON v.role = 'scale' AND v.valid_from <= p.first_day
  AND p.first_day < v.valid_until"""


def counts_sql(rules: Rules, children: str, periods: str) -> str:
    """Per family and month, the children who count on the month's first day."""
    student = ""
    if rules.eligibility.student_age_limit is not None:
        student = " OR (c.student_until >= p.first_day AND c.birth_date > p.student_born_after)"
    return f"""SELECT c.family_id, p.period, CAST(COUNT(*) AS INTEGER) AS n_children
FROM {children} c
JOIN {periods} p ON c.birth_date <= p.first_day
WHERE (c.death_date IS NULL OR c.death_date >= p.first_day)
  AND (c.birth_date > p.minor_born_after{student})
GROUP BY c.family_id, p.period
HAVING COUNT(*) >= {int(rules.eligibility.min_children)}"""


def _coefficient_sql(rules: Rules) -> str:
    f = rules.formula
    if f.kind == "fixed":
        return "t.coefficient"
    if f.kind == "per_child":
        return "t.coefficient * k.n_children"
    if f.per_child_from is None:
        return "s.value"
    return (
        f"CASE WHEN k.n_children >= {int(f.per_child_from)} "
        "THEN t.per_child * k.n_children ELSE s.value END"
    )


def round_to_minor_sql(product: str, scale: int, rounding: str, engine_name: str) -> str:
    """SQL twin of ``calc.round_to_minor``: integer ``%`` arithmetic, no float, no ROUND()."""
    rest = f"({product} % {scale})"
    floor = f"({product} - {rest})"
    if rounding == "up":
        rounded = f"({floor} + CASE WHEN {rest} > 0 THEN {scale} ELSE 0 END)"
    elif rounding == "half_up":
        rounded = f"({floor} + CASE WHEN 2 * {rest} >= {scale} THEN {scale} ELSE 0 END)"
    else:
        rounded = floor
    if MINOR_PER_MAJOR % scale == 0:  # the usual case: scale 1, 10 or 100
        return f"CAST({rounded} * {MINOR_PER_MAJOR // scale} AS BIGINT)"
    divisor = scale // MINOR_PER_MAJOR  # rounded is a multiple of scale, so this is exact
    int_div = "div" if engine_name == "spark" else "//"
    return f"CAST({rounded} {int_div} {divisor} AS BIGINT)"


def result_sql(
    rules: Rules, counts: str, families: str, terms: str, scale: str, engine_name: str
) -> str:
    """The entitlement rows: registered by the month, amount > 0, labelled with the rules."""
    product = _coefficient_sql(rules)
    if rules.formula.base is not None:
        product = f"({product}) * t.base"
    unit = 10 ** (rules.coefficient_decimals + rules.base_decimals)
    amount = round_to_minor_sql("x.product", unit, rules.formula.rounding, engine_name)
    scale_join = ""
    if rules.formula.scale:
        scale_join = (
            f"\n    LEFT JOIN {scale} s ON s.period = k.period AND s.n = "
            "CASE WHEN k.n_children > t.scale_max THEN t.scale_max ELSE k.n_children END"
        )
    return f"""SELECT family_id, period, n_children, amount, rules FROM (
  SELECT x.family_id, x.period, x.n_children, {amount} AS amount,
    {sql_literal(rules.label)} AS rules
  FROM (
    SELECT k.family_id, k.period, k.n_children, CAST({product} AS BIGINT) AS product
    FROM {counts} k
    JOIN {families} f ON f.family_id = k.family_id
    JOIN {terms} t ON t.period = k.period{scale_join}
    WHERE f.registered_on < t.next_day
  ) AS x
) AS r WHERE amount > 0"""


def entitlement_steps(
    rules: Rules,
    first_period: str,
    last_period: str,
    *,
    table: str = "entitlements_computed",
    families: str = "families",
    children: str = "children",
    engine_name: str = "duckdb",
) -> list[tuple[str, str]]:
    """The (table name, SELECT) steps, in order; the last one is ``table``."""
    periods = check_periods(rules, first_period, last_period)
    names = {s: f"{table}__{s}" for s in ("periods", "params", "terms", "scale", "counts")}
    steps = [
        (names["periods"], periods_sql(rules, periods)),
        (names["params"], params_sql(rules)),
        (names["terms"], terms_sql(names["periods"], names["params"])),
    ]
    if rules.formula.scale:
        steps.append((names["scale"], scale_sql(names["periods"], names["params"])))
    steps.append((names["counts"], counts_sql(rules, children, names["periods"])))
    result = result_sql(
        rules, names["counts"], families, names["terms"], names["scale"], engine_name
    )
    steps.append((table, result))
    return steps


def _check_inputs(engine, tables: dict[str, str]) -> None:
    for role, name in tables.items():
        if not engine.has_table(name):
            raise InputError(
                f"Computing entitlements needs the {role} table, which is missing.",
                where=f"table {name}",
                fix=f"provide {role}.csv (or .parquet/.xlsx) in the input folder, "
                "or provide an entitlements table instead of computing it.",
            )
        columns = {
            row[0]
            for row in engine.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [name],
            )
        }
        missing = [c for c in NEEDED_COLUMNS[role] if c not in columns]
        if missing:
            raise InputError(
                f"The {role} table lacks column(s) {', '.join(missing)}.",
                where=f"table {name}",
                fix="add the columns named in docs/data-contract.md.",
            )


def compute_entitlements(
    engine,
    rules: Rules,
    first_period: str,
    last_period: str,
    table: str = "entitlements_computed",
    *,
    families: str = "families",
    children: str = "children",
    temp: bool = False,
    lazy: bool = False,
) -> None:
    """Materialise ``table`` (family_id, period, n_children, amount BIGINT minor, rules).

    ``temp`` keeps the result (and always the helper tables) as scratch tables
    that are never written into a store file.

    ``lazy`` makes the two large steps (children counted per month, and the
    result) views, so a caller that reads ``table`` once computes it on the fly
    instead of holding tens of millions of rows; the small helper tables are then
    kept (as temp tables) for the views to read.

    Only rows with amount > 0. ``rules`` is the label (``<id>@<version>``) of the
    rules file that produced each row. Helper tables are dropped afterwards.
    """
    steps = entitlement_steps(
        rules,
        first_period,
        last_period,
        table=table,
        families=families,
        children=children,
        engine_name=getattr(engine, "name", "duckdb"),
    )
    _check_inputs(engine, {"families": families, "children": children})
    if lazy:
        for name, sql in steps:
            if name == table or name.endswith("__counts"):
                engine.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
            else:
                engine.materialise(name, sql, temp=True)
        return
    try:
        for name, sql in steps[:-1]:
            engine.materialise(name, sql, temp=True)
        engine.materialise(steps[-1][0], steps[-1][1], temp=temp)
    finally:
        for name, _ in steps[:-1]:
            engine.execute(f"DROP TABLE IF EXISTS {name}")
