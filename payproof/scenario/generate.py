"""generate_scenario: the whole synthetic programme, its fraud and its ground truth."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from payproof import __version__
from payproof.scenario import truth
from payproof.scenario.badrows import append_bad_rows
from payproof.scenario.config import ScenarioConfig, ScenarioSummary
from payproof.scenario.entitlement import days
from payproof.scenario.families import DEATH_NONE, STUDENT_NONE, build_families, child_thresholds
from payproof.scenario.fraud import (
    DIVERTER,
    DUPLICATE_KINDS,
    NAME_KINDS,
    NAME_VARIANT_KINDS,
    NAMES_STREAM,
    ROLE_NAMES,
    add_duplicates,
    assign_extra_roles,
    assign_roles,
    make_ghosts,
    never_paid,
)
from payproof.scenario.geography import build_geography
from payproof.scenario.grievances import build_grievances
from payproof.scenario.hardneg import mother_pairs, twin_iins
from payproof.scenario.identity import (
    ibans,
    iin_numbers,
    phones,
    swap_day_month,
    zero_padded,
)
from payproof.scenario.iin_slips import duplicate_iins
from payproof.scenario.names import (
    SURNAMES,
    child_names,
    mother_names,
    name_parts,
    name_variant,
)
from payproof.scenario.payments import CHANNELS, SOURCES, run_months
from payproof.scenario.redflags import inject_red_flags
from payproof.scenario.writer import SCHEMAS, TableSink, dates, write_table
from payproof.statuses import STATUSES

INPUT_TABLES = ("offices", "staff", "families", "children", "disbursements", "receipts",
                "grievances")  # fmt: skip


def validate(cfg: ScenarioConfig, today: date | None = None) -> None:
    """Reject settings that cannot make a valid programme (raises ValueError with the fix)."""
    today = today or date.today()
    if cfg.families < 10:
        raise ValueError("--families must be at least 10")
    if not 1 <= cfg.months <= 12:
        raise ValueError("--months must be 1..12 (months from January of --year)")
    if not 2020 <= cfg.year <= 2026:
        raise ValueError("--year must be 2020..2026 (the years with known MCI values)")
    end_month = date(cfg.year + (cfg.months == 12), cfg.months % 12 + 1, 1)
    if end_month > today:
        raise ValueError(
            f"{cfg.year}, {cfg.months} months ends after today: every date in the input must "
            "be in the past; choose an earlier --year or fewer --months"
        )
    if cfg.format not in ("csv", "parquet", "both"):
        raise ValueError("--format must be csv, parquet or both")
    if cfg.bad_rows and cfg.format == "parquet":
        raise ValueError(
            "--bad-rows needs CSV output (Parquet columns are typed): add --format both"
        )
    if not 0 <= cfg.skim_rate < 1:
        raise ValueError("--skim-rate must be in [0, 1)")
    if not 0 <= cfg.name_variant_share <= 1:
        raise ValueError("--name-variants must be between 0 and 1")
    if not 0 <= cfg.hard_negative_rate <= 0.25:
        raise ValueError("--hard-negatives must be between 0 and 0.25 (pairs per family)")
    for name in ("never_paid_rate", "skimmer_share", "diverter_share", "ghost_maker_share",
                 "evidence_coverage", "divert_rate", "survey_misreport_rate",
                 "rejecter_share", "delayer_share"):  # fmt: skip
        if not 0 <= getattr(cfg, name) <= 1:
            raise ValueError(f"{name} must be between 0 and 1")
    for name in ("collusive_skim_rate", "subtle_skim_rate"):
        if not 0 <= getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be in [0, 1)")
    for name in ("subtle_skimmer_share", "subtle_family_share", "intermittent_share",
                 "intermittent_rate", "receipt_noise_rate", "receipt_noise_max"):  # fmt: skip
        if not 0 <= getattr(cfg, name) <= 1:
            raise ValueError(f"{name} must be between 0 and 1")
    if cfg.collusive_offices < 0:
        raise ValueError("--collusive-offices must not be negative")
    if not 1 <= cfg.intermittent_months <= 12:
        raise ValueError("--intermittent-months must be 1..12")
    if cfg.skimmer_share + cfg.diverter_share + cfg.ghost_maker_share + (
        cfg.subtle_skimmer_share + cfg.intermittent_share
    ) > 1:
        raise ValueError("the shares of dishonest clerks add up to more than 1")
    if cfg.red_flag_cases < 0 or cfg.burst_size < 0:
        raise ValueError("red_flag_cases and burst_size must not be negative")
    if cfg.skimmer_share + cfg.diverter_share + cfg.ghost_maker_share > 1:
        raise ValueError("the shares of dishonest clerks add up to more than 1")


def generate_scenario(out_dir: Path, config: ScenarioConfig) -> ScenarioSummary:
    """Write the programme's input tables into ``out_dir`` and the ground truth into truth/."""
    validate(config)
    t0 = time.perf_counter()
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    formats = ("csv", "parquet") if config.format == "both" else (config.format,)
    rng = np.random.default_rng(config.seed)
    w = _world(config, rng)
    files: list[Path] = []
    files += write_table(out, "offices", w.geo.offices, formats)
    files += write_table(out, "staff", w.geo.staff, formats)
    files += write_table(out, "families", _families_table(w), formats)
    files += write_table(out, "children", _children_table(w, rng), formats)
    sinks = {
        "disbursements": TableSink(out, "disbursements", SCHEMAS["disbursements"], formats),
        "receipts": TableSink(out, "receipts", SCHEMAS["receipts"], formats),
        "truth_family_periods": TableSink(
            out / "truth", "family_periods", SCHEMAS["truth_family_periods"], ("parquet",)
        ),
    }
    if config.with_entitlements:
        sinks["entitlements"] = TableSink(out, "entitlements", SCHEMAS["entitlements"], formats)
    ledger, victims = run_months(w, sinks, rng)
    for sink in sinks.values():
        sink.close()
        files += sink.paths
    w.rows = {name: sink.rows for name, sink in sinks.items()}
    grievances = build_grievances(w, victims, rng)
    register = None
    if config.population:  # its own random stream: the rest is the same without it
        from payproof.scenario.population import STREAM, build_register, write_register

        register = build_register(w, np.random.default_rng([config.seed, STREAM]))
        files += write_register(out, register, formats, write_table)
        grievances = pa.concat_tables([grievances, register.grievances])
    files += write_table(out, "grievances", grievances, formats)
    bad = append_bad_rows(out, config.bad_rows, w, rng) if config.bad_rows else []
    truth_counts = truth.write_truth(out / "truth", w, ledger, bad)
    summary = ScenarioSummary(
        out_dir=str(out),
        config=config.to_dict(),
        rows={
            "offices": w.geo.offices.num_rows,
            "staff": w.geo.staff.num_rows,
            "families": w.fams.n,
            "children": len(w.fams.child_family),
            "disbursements": w.rows["disbursements"],
            "receipts": w.rows["receipts"],
            "grievances": grievances.num_rows,
            "entitlements": w.rows.get("entitlements", 0),
            "bad_rows": len(bad),
            **({"population": register.population.num_rows,
                "applications": register.applications.num_rows} if register else {}),
        },
        totals={
            "entitled": int(ledger.entitled.sum()),
            "disbursed": int(ledger.disbursed.sum() + ledger.ghost_paid.sum()),
            "received_true": int(ledger.received_true.sum()),
            "owed_true": int(ledger.owed_true[: w.n_genuine].sum()),
            "owed_evidenced": int(ledger.owed_evidenced.sum()),
            "ghost_paid": int(ledger.ghost_paid.sum()),
        },
        truth={**truth_counts, "status_family_periods": ledger.status_counts},
        files=[str(p.relative_to(out)) for p in files],
    )
    summary.seconds = round(time.perf_counter() - t0, 2)
    scenario = {
        "generator": f"payproof {__version__}",
        "seed": config.seed,
        "parameters": config.to_dict(),
        "periods": {"first": w.periods[0], "last": w.periods[-1]},
        "rules": "kz-large-family",
        "money": "tenge; amounts in the input are whole tenge",
        "summary": {k: summary.to_dict()[k] for k in ("rows", "totals", "truth")},
    }
    (out / "truth" / "scenario.json").write_text(
        json.dumps(scenario, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return summary


def _world(cfg: ScenarioConfig, rng: np.random.Generator) -> SimpleNamespace:
    """Everything the writers need: registry, fraud assignments, lookup arrays."""
    w = SimpleNamespace(cfg=cfg)
    w.month_starts = [days(f"{cfg.year + (m // 12)}-{m % 12 + 1:02d}-01") for m in range(13)]
    w.month_starts = w.month_starts[: cfg.months + 1]
    w.periods = [f"{cfg.year}-{m + 1:02d}" for m in range(cfg.months)]
    start, end = w.month_starts[0], w.month_starts[-1]
    today = int(np.datetime64(date.today(), "D").astype(np.int64))
    w.export_date = min(end + 150, today - 1)
    w.geo = build_geography(cfg.families, cfg.clerks_min, cfg.clerks_max, rng)
    base = build_families(cfg.families, start, end, w.geo, len(SURNAMES), rng)
    w.role = assign_roles(len(w.geo.clerk_office), cfg, rng)
    w.fams, w.dups = add_duplicates(base, w.geo, cfg, end, rng)
    w.n_genuine = base.n
    w.fams, w.red_flags = inject_red_flags(w.fams, w.dups.original, base.n, start, cfg)
    n = w.fams.n
    w.t18, w.t23 = child_thresholds(w.fams)
    w.never, w.stop = never_paid(n, w.fams.office, len(w.geo.office_ids), cfg.months, cfg, rng)
    w.ghosts, n_ghost_acc = make_ghosts(base.n, w.role, cfg, cfg.months, rng)
    w.extra = assign_extra_roles(w.role, w.geo, n, cfg)
    _identities(w, base.n, rng)
    # accounts: families', then one per diverting clerk, then the ghost makers'
    n_clerks = len(w.geo.clerk_office)
    div = np.nonzero(w.role == DIVERTER)[0]
    w.diverter_account = np.full(n_clerks, -1, np.int64)
    w.diverter_account[div] = w.n_family_accounts + np.arange(len(div))
    w.ghost_account_base = w.n_family_accounts + len(div)
    extra = ibans(len(div) + n_ghost_acc, rng)
    w.accounts = pa.concat_arrays([w.family_accounts, extra])
    g = len(w.ghosts.maker)
    width = max(7, len(str(n + g)))
    w.family_ids = zero_padded(np.arange(1, n + g + 1), width, "F")
    w.pay_width = max(8, len(str((n + g) * cfg.months + 1)))
    w.rec_width = w.pay_width
    w.channel_names = pa.array(CHANNELS)
    w.source_names = pa.array(SOURCES)
    w.status_names = pa.array(STATUSES)
    w.role_names = pa.array(ROLE_NAMES)
    w.period_names = pa.array(w.periods)
    clerk_ids = w.geo.clerk_ids

    def clerk_ids_or_null(idx: np.ndarray) -> pa.Array:
        idx = np.asarray(idx, np.int64)
        return clerk_ids.take(pa.array(np.maximum(idx, 0), mask=idx < 0))

    w.clerk_ids_or_null = clerk_ids_or_null
    return w


def _identities(w: SimpleNamespace, n_base: int, rng: np.random.Generator) -> None:
    """Mothers' IINs, names, channels, accounts and phones; duplicates derive from originals."""
    cfg, fams, dups = w.cfg, w.fams, w.dups
    orig = dups.original
    iin = iin_numbers(fams.mother_birth[:n_base], np.ones(n_base, bool), rng)
    names, w.latin = mother_names(n_base, rng)
    dup_iin, dup_text = _duplicate_variants(w, iin, names.take(pa.array(orig)).to_pylist(), rng)
    kind = dups.kind
    w.mother_iin = np.concatenate([iin, dup_iin])
    w.mother_id = zero_padded(w.mother_iin, 12)  # as typed: a broken IIN keeps its own text
    broken = dup_text != ""
    if broken.any():
        at = pa.array(np.concatenate([np.zeros(n_base, bool), broken]))
        typed = pa.array(np.concatenate([np.full(n_base, ""), dup_text]), pa.string())
        w.mother_id = pc.if_else(at, typed, w.mother_id)
    orig_names = names.take(pa.array(orig)).to_pylist()  # duplicates only: a small list
    variants = name_variant(orig_names, [DUPLICATE_KINDS[k] for k in kind])
    w.mother_names = pa.concat_arrays([names, pa.array(variants, type=pa.string())])
    w.dup_mother_names = variants
    # a duplicate that left the patronymic out of a two-word name turned it round
    # ('Given Surname'): the three name columns still hold each part in its field
    turned = [k == "no_patronymic" and len(o.split(" ")) == 2
              for k, o in zip([DUPLICATE_KINDS[k] for k in kind], orig_names, strict=True)]
    w.name_turned = np.concatenate([np.zeros(n_base, bool), np.array(turned, bool)])
    # channel: bank for most, cash or post for the rest; a duplicate is paid like its original
    p = [cfg.bank_channel_share, cfg.cash_channel_share,
         max(0.0, 1 - cfg.bank_channel_share - cfg.cash_channel_share)]  # fmt: skip
    p = np.array(p) / sum(p)
    ch = rng.choice(3, size=n_base, p=p)
    w.channel = np.concatenate([ch, ch[orig]])
    has_acc = (ch == 0) | (rng.random(n_base) < 0.3)
    account_of = np.where(has_acc, np.arange(n_base), -1)
    same = rng.random(len(orig)) < 0.3
    dup_acc = np.where(
        same | (account_of[orig] < 0), account_of[orig], n_base + np.arange(len(orig))
    )
    dup_acc = np.where(
        w.channel[n_base:] == 0,
        np.where(dup_acc < 0, n_base + np.arange(len(orig)), dup_acc),
        dup_acc,
    )
    w.account_of = np.concatenate([account_of, dup_acc])
    w.n_family_accounts = n_base + len(orig)
    w.family_accounts = ibans(w.n_family_accounts, rng)
    # relatives sharing one bank account (honest, but looks odd)
    k = round(n_base * cfg.shared_account_rate)
    holders = np.nonzero(ch == 0)[0]
    if k and len(holders) > 1:
        who = rng.choice(holders, size=min(k, len(holders) // 2), replace=False)
        donor = rng.choice(holders, size=len(who))
        keep = donor != who
        w.account_of[who[keep]] = w.account_of[donor[keep]]
        w.relatives_account = np.stack([who[keep], donor[keep]], axis=1)
    else:
        w.relatives_account = np.zeros((0, 2), np.int64)
    # phones: most mothers have one; relatives sometimes give the same number
    phone_idx = np.where(rng.random(n_base) < 0.92, np.arange(n_base), -1)
    moved = kind == DUPLICATE_KINDS.index("moved")  # always a new phone
    dup_phone = np.where(
        (rng.random(len(orig)) < 0.5) & ~moved, phone_idx[orig], n_base + np.arange(len(orig))
    )
    w.phone_of = np.concatenate([phone_idx, dup_phone])
    k = round(n_base * cfg.shared_phone_rate)
    has_phone = np.nonzero(phone_idx >= 0)[0]
    who = rng.choice(has_phone, size=min(k, len(has_phone) // 2), replace=False)
    donor = rng.choice(has_phone, size=len(who))
    keep = donor != who
    w.phone_of[who[keep]] = w.phone_of[donor[keep]]
    w.relatives_phone = np.stack([who[keep], donor[keep]], axis=1)
    w.phones = phones(n_base + len(orig), rng)
    w.hard_pairs = {}
    if cfg.hard_negative_rate > 0:
        mother_pairs(w, n_base, np.random.default_rng([cfg.seed, NAMES_STREAM]))


def _duplicate_variants(
    w, iin: np.ndarray, orig_names: list[str], rng
) -> tuple[np.ndarray, np.ndarray]:
    """Apply each duplicate's kind of variant to its IIN and birth date.

    Returns the duplicates' IINs as numbers and, where the slip broke the check digit,
    as typed text ('' elsewhere). A kind that cannot change this record (a name with
    no Ж, a birth day after the 12th, an IIN serial of equal digits) falls back to a
    transliteration or a one-digit typo, and ``w.dups.kind`` records what was done.
    """
    k = DUPLICATE_KINDS.index
    kind = w.dups.kind.copy()
    n_base = w.n_genuine
    birth = w.fams.mother_birth[n_base:]
    swapped, ok = swap_day_month(birth)
    ds = kind == k("date_swap")
    w.fams.mother_birth[n_base:] = np.where(ds & ok, swapped, birth)
    kind[ds & ~ok] = k("translit")
    trial = name_variant(orig_names, [DUPLICATE_KINDS[x] for x in kind])
    same = np.array([a == b for a, b in zip(trial, orig_names, strict=True)], bool)
    spelt = [k(x) for x in NAME_KINDS + NAME_VARIANT_KINDS if x != "married"]
    kind[same & np.isin(kind, spelt)] = k("translit")
    dup_iin, text, kind = duplicate_iins(iin, w.dups.original, kind, rng)
    w.dups.kind = kind
    return dup_iin, text


def _families_table(w: SimpleNamespace) -> pa.Table:
    f = w.fams
    n = f.n
    return pa.table(
        {
            "family_id": w.family_ids.slice(0, n),
            "mother_id": w.mother_id,
            "mother_name": w.mother_names,
            **dict(zip(("mother_surname", "mother_given_name", "mother_patronymic"),
                       name_parts(w.mother_names, w.name_turned), strict=True)),
            "mother_birth_date": dates(f.mother_birth),
            "district": pa.array(w.geo.district_names).take(pa.array(f.district)),
            "office_id": w.geo.office_ids.take(pa.array(f.office)),
            "registered_on": dates(f.registered_on),
            "bank_account": w.family_accounts.take(pa.array(w.account_of, mask=w.account_of < 0)),
            "phone": w.phones.take(pa.array(np.maximum(w.phone_of, 0), mask=w.phone_of < 0)),
        },
        schema=SCHEMAS["families"],
    )


def _children_table(w: SimpleNamespace, rng: np.random.Generator) -> pa.Table:
    f = w.fams
    c = len(f.child_family)
    src = f.child_source
    n_orig = int((src == np.arange(c)).sum()) if c else 0
    n_inj = w.red_flags.copied_children  # red-flag copies: last rows, always with the same ID
    n_main = c - n_inj
    iin = iin_numbers(f.child_birth[:n_orig], f.child_female[:n_orig], rng, taken=w.mother_iin)
    w.twin_pairs = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if w.cfg.hard_negative_rate > 0:
        w.twin_pairs = twin_iins(iin, f.child_family[:n_orig], f.child_birth[:n_orig], w.mother_iin)
    has_id = rng.random(n_orig) < 0.97
    dup_has = rng.random(n_main - n_orig) < 0.7
    has_id[src[n_main:]] = True
    iin_all = np.concatenate([iin, iin[src[n_orig:]]])
    has_all = np.concatenate([has_id, has_id[src[n_orig:n_main]] & dup_has, np.ones(n_inj, bool)])
    national = zero_padded(np.where(has_all, iin_all, 0), 12)
    national = pc.if_else(pa.array(has_all), national, pa.nulls(c, pa.string()))
    fam_main = f.child_family[:n_main]
    latin = np.concatenate([w.latin, w.latin[w.dups.original]])[fam_main]
    names = child_names(f.surname_idx[fam_main], f.child_female[:n_main], latin, rng,
                        apart=w.twin_pairs[1])  # fmt: skip
    names = pa.concat_arrays([names.slice(0, n_orig), names.take(pa.array(src[n_orig:]))])
    width = max(8, len(str(c)))
    w.child_ids = zero_padded(np.arange(1, c + 1), width, "C")
    return pa.table(
        {
            "child_id": w.child_ids,
            "family_id": w.family_ids.take(pa.array(f.child_family)),
            "child_national_id": national,
            "name": names,
            **dict(zip(("child_surname", "child_given_name", "child_patronymic"),
                       name_parts(names), strict=True)),
            "birth_date": dates(f.child_birth),
            "death_date": dates(f.child_death, f.child_death != DEATH_NONE),
            "student_until": dates(f.child_student_until, f.child_student_until != STUDENT_NONE),
        },
        schema=SCHEMAS["children"],
    )
