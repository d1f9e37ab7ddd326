"""The generated programme: contract, determinism, truth consistency, fraud counts, bad rows."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from payproof.money import AMOUNT_PATTERN
from payproof.periods import PERIOD_PATTERN
from payproof.scenario.config import ScenarioConfig
from payproof.scenario.entitlement import mci_for, monthly_amount
from payproof.scenario.generate import generate_scenario
from payproof.scenario.identity import iin_is_valid

CONTRACT = json.loads(
    (Path(__file__).parents[2] / "payproof/contract/tables.json").read_text(encoding="utf-8")
)
TABLES = ("offices", "staff", "families", "children", "entitlements", "disbursements",
          "receipts", "grievances")  # fmt: skip


def read_csv(path: Path) -> pa.Table:
    """Every column as text, exactly as written."""
    with open(path, encoding="utf-8") as fh:
        names = next(csv.reader(fh))
    types = {n: pa.string() for n in names}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def genuine(out: Path, table: str) -> pa.Table:
    """The table without the malformed rows appended at its end."""
    t = read_csv(out / f"{table}.csv")
    bad = sum(1 for r in read_csv(out / "truth/bad_rows.csv").column("table").to_pylist()
              if r == table)  # fmt: skip
    return t.slice(0, t.num_rows - bad)


def con_for(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in TABLES:
        con.register(name, genuine(out, name))
    con.register("truth_fp", pq.read_table(out / "truth/family_periods.parquet"))
    con.register("truth_fam", read_csv(out / "truth/families.csv"))
    return con


def test_files_conform_to_contract(scenario):
    out, _ = scenario
    today = date.today().isoformat()
    amount = re.compile(AMOUNT_PATTERN)
    period = re.compile(PERIOD_PATTERN)
    keys: dict[str, set] = {}
    for name in TABLES:
        spec = CONTRACT["tables"][name]
        t = genuine(out, name)
        assert t.num_rows > 0, name
        required = {c for c, s in spec["columns"].items() if not s.get("nullable")}
        assert required <= set(t.column_names) <= set(spec["columns"]), name
        key = spec["key"]
        rows = list(zip(*(t.column(k).to_pylist() for k in key), strict=True))
        assert len(set(rows)) == len(rows), f"{name}: duplicate key"
        keys[name] = {r[0] for r in rows}
        for col, c in spec["columns"].items():
            if col not in t.column_names:  # an optional column the generator does not write
                continue
            values = t.column(col).to_pylist()
            present = [v for v in values if v not in (None, "")]
            if not c.get("nullable"):
                assert len(present) == len(values), f"{name}.{col} has empty values"
            if c["type"] == "money":
                assert all(amount.match(v) and not v.startswith("-") for v in present)
            elif c["type"] == "period":
                assert all(period.match(v) for v in present), f"{name}.{col}"
            elif c["type"] == "date":
                for v in present:
                    date.fromisoformat(v)
                    if c.get("past"):
                        assert v < today, f"{name}.{col} in the future: {v}"
            elif c["type"] == "enum":
                assert set(present) <= set(c["values"]), f"{name}.{col}"
    for name in TABLES:
        t = genuine(out, name)
        for col, c in CONTRACT["tables"][name]["columns"].items():
            ref = c.get("references")
            if not ref or c.get("missing_reference") == "flag":
                continue
            target = ref.split(".")[0]
            present = {v for v in t.column(col).to_pylist() if v}
            assert present <= keys[target], f"{name}.{col} -> {ref}"


def test_national_ids_are_valid_iins(scenario):
    out, _ = scenario
    fams = genuine(out, "families")
    dups = read_csv(out / "truth/duplicate_mothers.csv").to_pylist()
    broken = {d["duplicate_family_id"] for d in dups if d["mother_id_valid"] == "false"}
    assert broken  # a clerk's slip usually breaks the check digit
    ids = fams.column("family_id").to_pylist()
    mothers = dict(zip(ids, fams.column("mother_id").to_pylist(), strict=True))
    assert all(iin_is_valid(v) != (f in broken) for f, v in mothers.items())
    kids = [v for v in genuine(out, "children").column("child_national_id").to_pylist() if v]
    assert kids and all(iin_is_valid(v) for v in kids)
    # women born in the 1900s / 2000s carry 4 / 6 as the century-and-sex digit
    assert {v[6] for f, v in mothers.items() if f not in broken} <= {"4", "6"}


def test_one_iin_per_mother(scenario):
    """Real IINs are unique per person: two mothers share one only as a duplicate record."""
    out, _ = scenario
    fams = genuine(out, "families")
    dups = read_csv(out / "truth/duplicate_mothers.csv").to_pylist()
    entity = {d["duplicate_family_id"]: d["family_id"] for d in dups}
    by_iin: dict[str, set[str]] = {}
    ids = fams.column("family_id").to_pylist()
    for f, v in zip(ids, fams.column("mother_id").to_pylist(), strict=True):
        by_iin.setdefault(v, set()).add(entity.get(f, f))
    assert all(len(people) == 1 for people in by_iin.values())
    same = {d["kind"] for d in dups if d["same_mother_id"] == "true"}
    assert not any(k.startswith("iin_") for k in same)
    kids = [v for v in genuine(out, "children").column("child_national_id").to_pylist() if v]
    assert not set(kids) & set(by_iin)


def test_parquet_matches_csv_with_typed_columns(scenario):
    out, _ = scenario
    for name in ("families", "disbursements", "receipts", "children"):
        p = pq.read_table(out / f"{name}.parquet")
        c = genuine(out, name)
        assert p.num_rows == c.num_rows
    d = pq.read_table(out / "disbursements.parquet")
    assert d.schema.field("amount").type == pa.decimal128(18, 2)
    assert d.schema.field("paid_on").type == pa.date32()
    assert [str(x) for x in d.column("amount").slice(0, 50).to_pylist()] == genuine(
        out, "disbursements"
    ).column("amount").slice(0, 50).to_pylist()


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_deterministic_by_seed(tmp_path):
    cfg = ScenarioConfig(families=300, format="both", bad_rows=3)
    generate_scenario(tmp_path / "a", cfg)
    generate_scenario(tmp_path / "b", cfg)
    generate_scenario(tmp_path / "c", ScenarioConfig(families=300, format="both", seed=1))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert (
        _digest(tmp_path / "a")["disbursements.csv"] != _digest(tmp_path / "c")["disbursements.csv"]
    )


def test_entitlements_follow_the_rule_from_children(scenario):
    """A plain-Python count of each family's children reproduces the entitlement table."""
    out, _ = scenario
    children = genuine(out, "children").to_pylist()
    families = {r["family_id"]: r for r in genuine(out, "families").to_pylist()}
    ent = {(r["family_id"], r["period"]): Decimal(r["amount"])
           for r in genuine(out, "entitlements").to_pylist()}  # fmt: skip
    by_family: dict[str, list[dict]] = {}
    for ch in children:
        by_family.setdefault(ch["family_id"], []).append(ch)
    checked = 0
    for fid in sorted(by_family)[:400]:
        reg = date.fromisoformat(families[fid]["registered_on"])
        for m in range(1, 13):
            first = date(2022, m, 1)
            n = 0
            for ch in by_family[fid]:
                b = date.fromisoformat(ch["birth_date"])
                dead = ch["death_date"] and date.fromisoformat(ch["death_date"]) < first
                if b > first or dead:
                    continue
                if first < b.replace(year=b.year + 18):
                    n += 1
                elif first < b.replace(year=b.year + 23) and ch["student_until"]:
                    n += date.fromisoformat(ch["student_until"]) >= first
            amount = int(monthly_amount([n], mci_for(2022, m))[0])
            if (reg.year, reg.month) > (2022, m):
                amount = 0
            assert ent.get((fid, f"2022-{m:02d}"), Decimal(0)) == amount, (fid, m)
            checked += 1
    assert checked == 4800


def test_truth_recomputed_from_the_files(scenario, small):
    out, _ = scenario
    con = con_for(out)
    con.register("dups", read_csv(out / "truth/duplicate_mothers.csv"))
    # A duplicate registration is entitled to nothing (the audit excludes it once found).
    fp = """
      WITH e AS (SELECT family_id, period, CAST(amount AS DECIMAL(18,2)) e FROM entitlements
                 WHERE family_id NOT IN (SELECT duplicate_family_id FROM dups)),
      d AS (SELECT family_id, period, sum(CAST(amount AS DECIMAL(18,2))) d
            FROM disbursements GROUP BY ALL),
      r AS (SELECT family_id, period, sum(CAST(amount AS DECIMAL(18,2))) r
            FROM receipts GROUP BY ALL),
      k AS (SELECT family_id, period FROM e UNION SELECT family_id, period FROM d
            UNION SELECT family_id, period FROM r)
      SELECT k.family_id, k.period, coalesce(e, 0) e, coalesce(d, 0) d, r
      FROM k LEFT JOIN e USING (family_id, period) LEFT JOIN d USING (family_id, period)
             LEFT JOIN r USING (family_id, period)
    """
    con.execute(f"CREATE TABLE fp AS {fp}")
    mismatched = con.execute("""
      SELECT count(*) FROM fp FULL JOIN truth_fp t USING (family_id, period)
      WHERE fp.e IS DISTINCT FROM t.E OR fp.d IS DISTINCT FROM t.D
         OR fp.r IS DISTINCT FROM t.R_evidence
    """).fetchone()[0]
    assert mismatched == 0
    status = con.execute("""
      SELECT count(*) FROM fp JOIN truth_fp t USING (family_id, period)
      WHERE t.status <> CASE
        WHEN fp.e = 0 AND fp.d > 0 THEN 'paid_not_entitled'
        WHEN fp.d = 0 AND fp.r > 0 THEN 'undocumented_receipt'
        WHEN fp.e > 0 AND fp.d = 0 THEN 'unpaid'
        WHEN fp.d > 0 AND fp.r = 0 THEN 'diverted'
        WHEN fp.r > 0 AND fp.r < fp.d THEN 'skimmed'
        WHEN fp.d > 0 AND fp.d < fp.e THEN 'underpaid'
        WHEN fp.e > 0 AND fp.d > fp.e THEN 'overpaid'
        WHEN fp.r IS NULL THEN 'unverified' ELSE 'ok' END
    """).fetchone()[0]
    assert status == 0
    owed = con.execute("""
      WITH o AS (SELECT family_id, sum(greatest(e - coalesce(r, d), 0)) owed FROM fp GROUP BY 1)
      SELECT count(*), sum(CASE WHEN coalesce(o.owed, 0) <> CAST(t.owed_evidenced AS
             DECIMAL(18,2)) THEN 1 ELSE 0 END)
      FROM truth_fam t LEFT JOIN o USING (family_id)
    """).fetchone()
    assert owed[0] == small.families + round(small.families * small.duplicate_mother_rate)
    assert owed[1] == 0
    # every status the audit knows about that the fraud should produce does occur
    seen = {r[0] for r in con.execute("SELECT DISTINCT status FROM truth_fp").fetchall()}
    assert {"ok", "unpaid", "skimmed", "diverted", "unverified", "paid_not_entitled"} <= seen


def test_fraud_counts_match_the_config(scenario, small):
    out, summary = scenario
    con = con_for(out)
    staff = read_csv(out / "truth/staff.csv").to_pylist()
    clerks = [s for s in staff if int(s["lines"]) > 0 or s["role"] != "honest"]
    n_clerks = sum(1 for s in read_csv(out / "staff.csv").to_pylist() if s["role"] == "clerk")
    roles = [s["role"] for s in staff]
    assert roles.count("skimmer") == round(n_clerks * small.skimmer_share)
    assert roles.count("diverter") == round(n_clerks * small.diverter_share)
    assert roles.count("ghost_maker") == max(1, round(n_clerks * small.ghost_maker_share))
    assert clerks
    ghosts = read_csv(out / "truth/ghosts.csv")
    assert ghosts.num_rows == round(small.families * small.ghost_rate)
    registry = set(genuine(out, "families").column("family_id").to_pylist())
    assert not set(ghosts.column("family_id").to_pylist()) & registry
    paid = set(
        con.execute("SELECT DISTINCT family_id FROM disbursements").fetchnumpy()["family_id"]
    )
    assert set(ghosts.column("family_id").to_pylist()) <= paid
    dups = read_csv(out / "truth/duplicate_mothers.csv")
    assert dups.num_rows == round(small.families * small.duplicate_mother_rate)
    assert set(dups.column("duplicate_family_id").to_pylist()) <= registry
    # skimmers: every verified line shows the family got 70 %; honest clerks almost never short
    lines = con.execute("""
      SELECT t.staff_role, t.D, t.R_evidence FROM truth_fp t
      WHERE t.R_evidence IS NOT NULL AND t.D > 0
    """).fetchall()
    skim = [(d, r) for role, d, r in lines if role == "skimmer"]
    kept = [(d - (d * Decimal("0.30")).quantize(Decimal(1)), r) for d, r in skim]
    # a survey answer may round the kept amount down to the thousand (honest noise)
    assert kept and all(r in (k, k // 1000 * 1000) for k, r in kept)
    honest = [(d, r) for role, d, r in lines if role in ("honest", "ghost_maker")]
    short = sum(1 for d, r in honest if r < d)
    assert short <= 0.005 * len(honest)
    for s in staff:  # the per-clerk truth agrees: skimmers short on every verified line
        if s["role"] == "skimmer" and int(s["lines"]):
            assert int(s["short_verified_lines"]) > 0.6 * int(s["lines"])
        elif s["role"] == "honest":
            assert int(s["short_verified_lines"]) <= 0.02 * max(int(s["lines"]), 100)
    assert summary.truth["never_paid_families"] > 0
    # complaints name skimming clerks, and bribe complaints only name skimmers
    g = con.execute(
        "SELECT category, staff_id FROM grievances WHERE staff_id IS NOT NULL"
    ).fetchall()
    role_of = {s["staff_id"]: s["role"] for s in staff}
    assert {role_of[s] for c, s in g if c == "bribe_demanded"} == {"skimmer"}


def test_children_change_mid_year(scenario):
    """Counts move during the year: families drop out, others join, MCI rises in April."""
    out, _ = scenario
    con = con_for(out)
    dropped, joined, changed = con.execute("""
      WITH m AS (SELECT family_id, min(period) first_p, max(period) last_p,
                        count(DISTINCT amount) amounts FROM entitlements GROUP BY 1)
      SELECT sum((last_p < '2022-12')::INT), sum((first_p > '2022-01')::INT),
             sum((amounts > 2)::INT) FROM m
    """).fetchone()
    assert dropped > 10 and joined > 10 and changed > 10


def test_bad_rows_are_appended_and_listed(scenario, small):
    out, summary = scenario
    listed = read_csv(out / "truth/bad_rows.csv").to_pylist()
    assert len(listed) == small.bad_rows == summary.rows["bad_rows"]
    for table in ("disbursements", "receipts"):
        with open(out / f"{table}.csv", encoding="utf-8") as fh:
            lines = list(csv.reader(fh))
        header = lines[0]
        for item in (r for r in listed if r["table"] == table):
            row = dict(zip(header, lines[int(item["line"]) - 1], strict=True))
            assert row[item["column"]] == item["value"]
        assert len(lines) - 1 == summary.rows[table] + sum(r["table"] == table for r in listed)
    kinds = {r["kind"] for r in listed}
    assert {"amount_3_decimals", "negative_amount", "bad_period", "duplicate_payment_id"} <= kinds


def test_parquet_only_refuses_bad_rows(tmp_path):
    with pytest.raises(ValueError, match="bad-rows"):
        generate_scenario(tmp_path, ScenarioConfig(families=100, format="parquet", bad_rows=2))


def test_cli_generate(tmp_path):
    from payproof.cli import main

    assert main(["generate", str(tmp_path / "x"), "--families", "150", "--months", "3"]) == 0
    assert (tmp_path / "x/disbursements.csv").exists()
    assert not (tmp_path / "x/entitlements.csv").exists()
    scenario = json.loads((tmp_path / "x/truth/scenario.json").read_text(encoding="utf-8"))
    assert scenario["periods"] == {"first": "2022-01", "last": "2022-03"}
    assert main(["generate", str(tmp_path / "y"), "--year", "2030"]) == 2


def test_evidence_coverage_follows_the_option(scenario, small):
    _, summary = scenario
    share = summary.rows["receipts"] / summary.rows["disbursements"]
    assert abs(share - small.evidence_coverage) < 0.02
