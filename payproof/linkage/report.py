"""The "Ghosts" section of the audit report: red flags and money at stake.

Public by design: it shows flag counts, money, and office and staff numbers
only — never a family, child, name, national ID, phone or account (the
evidence with those stays in the store's ``red_flags`` table for investigators).
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.i18n import EN, N_, Translator
from payproof.linkage.flags import RULES
from payproof.money import format_major
from payproof.report import charts
from payproof.report.charts import Series
from payproof.report.fmt import CURRENCY_WORDS, axis_format, count, money, share
from payproof.report.html import Section, figure, table

TITLE = N_("Ghosts: duplicate and suspect records")
ANCHOR = "ghosts"
TOP = 10
STORE_NAME = "payproof.duckdb"
LABELS = {
    "shared_account": N_("Account shared by several families"),
    "shared_phone": N_("Phone shared by several families"),
    "child_in_two_families": N_("Child counted in two families"),
    "siblings_too_close": N_("Siblings born under 9 months apart"),
    "implausible_mother_age": N_("Mother's age at birth implausible"),
    "registered_after_death": N_("Child registered after death"),
    "paid_after_death": N_("Paid beyond entitlement after a child's death"),
    "too_many_children": N_("Implausibly many children"),
    "registration_burst": N_("Burst of registrations at one office"),
    "not_in_registry": N_("Paid but not in the registry"),
    "mother_registered_twice": N_("Mother registered more than once"),
}
# The rules' texts as message templates, so kk and ru readers get them too; formatted with
# payproof.linkage.flags' thresholds they equal RULES[code].text (tests check that they do).
RULE_TEXTS = {
    "shared_account": N_("One bank account is given in the registry or paid into for {shared} "
                         "or more families."),
    "shared_phone": N_("One phone number is given for {shared} or more families in the "
                       "registry."),
    "child_in_two_families": N_("The same child (same national ID, or the same person by record "
                                "linkage) is counted in more than one family."),
    "siblings_too_close": N_("A child born less than {sibling_days} days (about 9 months) after a "
                             "sibling, and not a twin (births within {twin_days} days)."),
    "implausible_mother_age": N_("The mother was under {min_age} or over {max_age} years old at "
                                 "a child's birth."),
    "registered_after_death": N_("A child's recorded death comes before the family's "
                                 "registration for the allowance."),
    "paid_after_death": N_("The family was paid more than its entitlement in months that begin "
                           "after a child's recorded death."),
    "too_many_children": N_("More than {max_children} children in one family."),
    "registration_burst": N_("Registered in a {window}-day window in which the office registered "
                             "at least {min_count} families and at least {ratio} times its usual "
                             "rate (Poisson p < {max_p})."),
    "not_in_registry": N_("Paid, but the family is not in the registry."),
    "mother_registered_twice": N_("The mother is registered in more than one family record "
                                  "(record linkage cluster)."),
}  # fmt: skip


def rule_text(code: str, tr: Translator = EN) -> str:
    """A red flag's rule in the reader's language ('' for an unknown flag)."""
    from payproof.linkage import flags as F

    if code not in RULE_TEXTS:
        return RULES[code].text if code in RULES else ""
    return tr._(RULE_TEXTS[code]).format(
        shared=F.SHARED_MIN_FAMILIES, sibling_days=F.SIBLING_MIN_DAYS, twin_days=F.TWIN_MAX_DAYS,
        min_age=F.MOTHER_MIN_AGE, max_age=F.MOTHER_MAX_AGE, max_children=F.MAX_CHILDREN,
        window=F.BURST_WINDOW_DAYS, min_count=F.BURST_MIN_COUNT, ratio=f"{F.BURST_MIN_RATIO:g}",
        max_p=f"{F.BURST_MAX_P:g}",
    )  # fmt: skip


NEEDED = ("ghost_money_by_flag", "ghost_money_by_office", "ghost_money_by_staff")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _money(minor: object, lang: str = "en") -> str:
    if lang != "en":
        return money(int(minor or 0) / Decimal(100), lang)
    return format_major(int(minor or 0))


def ghost_section(source, *, currency: str = "KZT", tr: Translator = EN) -> Section:
    """The section from an engine holding the money-at-stake tables, or an audit folder.

    ``source`` is an engine, a ``.duckdb`` store, or a folder holding
    ``payproof.duckdb``; a store is opened read-only.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        path = path / STORE_NAME if path.is_dir() else path
        if not path.exists():
            return Section(tr._(TITLE), _p(tr._("No audit store found: red flags were not "
                                                "computed.")), ANCHOR)  # fmt: skip
        with DuckDBEngine(path, read_only=True) as engine:
            return ghost_section(engine, currency=currency, tr=tr)
    if not all(source.has_table(t) for t in NEEDED):
        return Section(tr._(TITLE), _p(tr._("Red flags were not computed for this audit.")),
                       ANCHOR)  # fmt: skip
    cur = CURRENCY_WORDS.get(currency, currency) if tr.lang == "en" else currency
    return Section(tr._(TITLE), _body(source, cur, tr), ANCHOR)


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _body(engine, cur: str, tr: Translator = EN) -> str:
    _, L = tr._, tr.lang
    flags = engine.rows(
        "SELECT flag, records, families, amount_paid FROM ghost_money_by_flag "
        "ORDER BY amount_paid DESC, flag"
    )
    if not flags:
        return _p(_("No red flag was raised on the registry or the payroll."))
    families, paid = engine.rows(
        "SELECT count(DISTINCT family_id), coalesce(sum(amount_paid), 0) FROM "
        "(SELECT family_id, max(amount_paid) AS amount_paid FROM red_flags GROUP BY family_id) x"
    )[0]
    duplicate = engine.scalar(
        "SELECT coalesce(sum(amount_duplicate), 0) FROM ghost_money_by_office"
    )
    # English reads the same for every count (as it always has); kk and ru get their forms.
    lede = _p(
        tr.ngettext(
            "{families} families carry at least one red flag; {paid} {cur} was paid to them, of "
            "which {duplicate} {cur} to second records of mothers registered more than once. A "
            "flag is a reason to check a record, not proof of fraud: relatives share phones, and "
            "registries hold typing errors.",
            "{families} families carry at least one red flag; {paid} {cur} was paid to them, of "
            "which {duplicate} {cur} to second records of mothers registered more than once. A "
            "flag is a reason to check a record, not proof of fraud: relatives share phones, and "
            "registries hold typing errors.",
            families,
        ).format(families=count(families, L), paid=_money(paid, L), cur=cur,
                 duplicate=_money(duplicate, L))
    )  # fmt: skip
    label = lambda f: _(LABELS[f]) if f in LABELS else f  # noqa: E731
    svg = charts.bar_chart(
        title=_("Money paid to flagged families, by red flag ({cur})").format(cur=cur),
        desc="; ".join(
            # English reads the same for every count (as it always has); kk and ru get their forms.
            tr.ngettext("{flag}: {amount} to {n} families", "{flag}: {amount} to {n} families", n)
            .format(flag=label(f), amount=_money(a, L), n=n)
            for f, _r, n, a in flags
        ),
        labels=[label(f) for f, *_r in flags],
        series=[
            Series(_("Paid to flagged families"), [int(a) / 100 for *_r, a in flags],
                   charts.VERMILLION)
        ],
        value_labels=[_money(a, L) for *_r, a in flags],
        uid="ghost-flags-chart",
        tick_format=axis_format(L),
    )  # fmt: skip
    parts = [
        lede,
        figure(svg, _("A family with several flags counts under each of them.")),
        table(
            [
                (_("Red flag"), False),
                (_("Rule"), False),
                (_("Records"), True),
                (_("Families"), True),
                (_("Paid to them ({cur})").format(cur=cur), True),
            ],
            [
                [
                    label(f),
                    (RULES[f].text if f in RULES else "") if L == "en" else rule_text(f, tr),
                    count(r, L),
                    count(n, L),
                    _money(a, L),
                ]
                for f, r, n, a in flags
            ],
            caption=_("Red flags raised"),
        ),  # fmt: skip
    ]
    parts.append(_top(engine, "ghost_money_by_office", (N_("Office"),), "office_id", cur, tr))
    parts.append(_top(engine, "ghost_money_by_staff", (N_("Staff"), N_("Office")),
                      "staff_id, office_id", cur, tr))  # fmt: skip
    return "\n".join(p for p in parts if p)


def _top(
    engine, name: str, heads: tuple[str, ...], keys: str, cur: str, tr: Translator = EN
) -> str:
    _, L = tr._, tr.lang
    rows = engine.rows(
        f"SELECT {keys}, families_flagged, amount_paid, amount_duplicate, paid_total FROM {name} "
        f"ORDER BY amount_paid DESC, {keys} LIMIT {TOP}"
    )
    if not rows:
        return ""
    k = len(heads)
    caption = (
        _("The {n} offices that paid most to flagged families") if k == 1
        else _("The {n} staff that paid most to flagged families")
    )  # fmt: skip
    return table(
        [*((_(h), False) for h in heads), (_("Flagged families paid"), True),
         (_("Paid to flagged families ({cur})").format(cur=cur), True),
         (_("Paid to duplicate records ({cur})").format(cur=cur), True),
         (_("Share of all it paid"), True)],
        [[*r[:k], count(r[k], L), _money(r[k + 1], L), _money(r[k + 2], L),
          _share(r[k + 1], r[k + 3], L)] for r in rows],
        caption=caption.format(n=len(rows)),
    )  # fmt: skip


def _share(part: int, whole: int, lang: str = "en") -> str:
    if not whole:
        return "–"
    pct = (200 * int(part) + int(whole)) // (2 * int(whole))  # exact, rounded half up
    if lang != "en":
        return share(part, whole, lang)
    return f"{pct}\u202f%" if pct or not part else "<1\u202f%"
