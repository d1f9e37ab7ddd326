"""The "Ghosts" section of the audit report: red flags and money at stake.

Public by design: it shows flag counts, money, and office and staff numbers
only — never a family, child, name, national ID, phone or account (the
evidence with those stays in the store's ``red_flags`` table for investigators).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.linkage.flags import RULES
from payproof.money import format_major
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.fmt import CURRENCY_WORDS, count
from payproof.report.html import Section, figure, table

TITLE = "Ghosts: duplicate and suspect records"
ANCHOR = "ghosts"
TOP = 10
STORE_NAME = "payproof.duckdb"
LABELS = {
    "shared_account": "Account shared by several families",
    "shared_phone": "Phone shared by several families",
    "child_in_two_families": "Child counted in two families",
    "siblings_too_close": "Siblings born under 9 months apart",
    "implausible_mother_age": "Mother's age at birth implausible",
    "registered_after_death": "Child registered after death",
    "paid_after_death": "Paid beyond entitlement after a child's death",
    "too_many_children": "Implausibly many children",
    "registration_burst": "Burst of registrations at one office",
    "not_in_registry": "Paid but not in the registry",
    "mother_registered_twice": "Mother registered more than once",
}
NEEDED = ("ghost_money_by_flag", "ghost_money_by_office", "ghost_money_by_staff")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _money(minor: object) -> str:
    return format_major(int(minor or 0))


def ghost_section(source, *, currency: str = "KZT") -> Section:
    """The section from an engine holding the money-at-stake tables, or an audit folder.

    ``source`` is an engine, a ``.duckdb`` store, or a folder holding
    ``payproof.duckdb``; a store is opened read-only.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        path = path / STORE_NAME if path.is_dir() else path
        if not path.exists():
            return Section(TITLE, "<p>No audit store found: red flags were not computed.</p>",
                           ANCHOR)  # fmt: skip
        with DuckDBEngine(path, read_only=True) as engine:
            return ghost_section(engine, currency=currency)
    if not all(source.has_table(t) for t in NEEDED):
        return Section(TITLE, "<p>Red flags were not computed for this audit.</p>", ANCHOR)
    return Section(TITLE, _body(source, CURRENCY_WORDS.get(currency, currency)), ANCHOR)


def _body(engine, cur: str) -> str:
    flags = engine.rows(
        "SELECT flag, records, families, amount_paid FROM ghost_money_by_flag "
        "ORDER BY amount_paid DESC, flag"
    )
    if not flags:
        return "<p>No red flag was raised on the registry or the payroll.</p>"
    families, paid = engine.rows(
        "SELECT count(DISTINCT family_id), coalesce(sum(amount_paid), 0) FROM "
        "(SELECT family_id, max(amount_paid) AS amount_paid FROM red_flags GROUP BY family_id) x"
    )[0]
    duplicate = engine.scalar(
        "SELECT coalesce(sum(amount_duplicate), 0) FROM ghost_money_by_office"
    )
    lede = (
        f"<p>{count(families)} families carry at least one red flag; {_e(_money(paid))} {_e(cur)} "
        f"was paid to them, of which {_e(_money(duplicate))} {_e(cur)} to second records of "
        "mothers registered more than once. A flag is a reason to check a record, not proof "
        "of fraud: relatives share phones, and registries hold typing errors.</p>"
    )
    svg = charts.bar_chart(
        title=f"Money paid to flagged families, by red flag ({cur})",
        desc="; ".join(f"{LABELS.get(f, f)}: {_money(a)} to {n} families" for f, _, n, a in flags),
        labels=[LABELS.get(f, f) for f, *_ in flags],
        series=[
            Series("Paid to flagged families", [int(a) / 100 for *_, a in flags], charts.VERMILLION)
        ],  # fmt: skip
        value_labels=[_money(a) for *_, a in flags],
        uid="ghost-flags-chart",
    )
    parts = [
        lede,
        figure(svg, "A family with several flags counts under each of them."),
        table(
            [
                ("Red flag", False),
                ("Rule", False),
                ("Records", True),
                ("Families", True),
                (f"Paid to them ({cur})", True),
            ],
            [
                [
                    LABELS.get(f, f),
                    RULES[f].text if f in RULES else "",
                    count(r),
                    count(n),
                    _money(a),
                ]
                for f, r, n, a in flags
            ],
            caption="Red flags raised",
        ),  # fmt: skip
    ]
    parts.append(_top(engine, "ghost_money_by_office", ("Office",), "office_id", cur))
    parts.append(_top(engine, "ghost_money_by_staff", ("Staff", "Office"), "staff_id, office_id",
                      cur))  # fmt: skip
    return "\n".join(p for p in parts if p)


def _top(engine, name: str, heads: tuple[str, ...], keys: str, cur: str) -> str:
    rows = engine.rows(
        f"SELECT {keys}, families_flagged, amount_paid, amount_duplicate, paid_total FROM {name} "
        f"ORDER BY amount_paid DESC, {keys} LIMIT {TOP}"
    )
    if not rows:
        return ""
    k = len(heads)
    what = "offices" if k == 1 else "staff"
    return table(
        [*((h, False) for h in heads), ("Flagged families paid", True),
         (f"Paid to flagged families ({cur})", True), (f"Paid to duplicate records ({cur})", True),
         ("Share of all it paid", True)],
        [[*r[:k], count(r[k]), _money(r[k + 1]), _money(r[k + 2]), _share(r[k + 1], r[k + 3])]
         for r in rows],
        caption=f"The {len(rows)} {what} that paid most to flagged families",
    )  # fmt: skip


def _share(part: int, whole: int) -> str:
    if not whole:
        return "–"
    pct = (200 * int(part) + int(whole)) // (2 * int(whole))  # exact, rounded half up
    return f"{pct}\u202f%" if pct or not part else "<1\u202f%"
