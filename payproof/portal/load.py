"""``payproof portal load AUDIT_OUT``: an audit's statements into the portal's database.

Statements come from the audit's published ``findings.parquet`` (per family and month:
entitled, paid out, received, owed, status, paying office) and ``offices.csv`` (office
names); the mother's IIN and the registry phone that signs her in come from the registry
table in the audit's store ``payproof.duckdb`` (no published output carries phones, on
purpose). The join is SQL in DuckDB; the rows then go into Django's database in one
transaction: statements are replaced as a whole, families updated in place, grievances
never touched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from payproof.audit.outputs import FINDINGS_FILE, OFFICES_FILE, STORE_FILE
from payproof.engine.export import restored
from payproof.errors import InputError

STATEMENT_SQL = """
SELECT f.family_id, f.period,
       CAST(round(f.entitled * 100) AS BIGINT) AS entitled,
       CAST(round(f.disbursed * 100) AS BIGINT) AS disbursed,
       CAST(round(f.received * 100) AS BIGINT) AS received,
       CAST(round(f.owed * 100) AS BIGINT) AS owed,
       f.status, coalesce(f.office_id, '') AS office_id,
       coalesce({office_name}, '') AS office_name
FROM read_parquet($findings) f
LEFT JOIN read_csv($offices, all_varchar = true) o ON o.office_id = f.office_id
ORDER BY f.family_id, f.period
""".format(office_name=restored("o.name"))  # offices.csv neutralises formula-like names
FAMILY_SQL = """
SELECT family_id, coalesce(CAST(mother_id AS VARCHAR), '') AS iin,
       coalesce(CAST(phone AS VARCHAR), '') AS phone, coalesce(district, '') AS district
FROM store.families
"""


@dataclass
class LoadResult:
    run_id: str
    families: int
    statements: int
    replaced: int


def _required(audit_out: Path, name: str) -> Path:
    path = audit_out / name
    if not path.exists():
        raise InputError(
            f"{audit_out} has no {name}: is it an audit's --out folder?",
            where=str(path),
            fix="run 'payproof audit INPUT --out AUDIT_OUT' first, then load AUDIT_OUT",
        )
    return path


def run_identity(audit_out: Path, findings: Path) -> tuple[str, str]:
    """A stable id for the audit run: its finish time and a digest of its findings."""
    meta_path = audit_out / ".payproof-run.json"
    finished = ""
    if meta_path.exists():
        finished = json.loads(meta_path.read_text(encoding="utf-8")).get("finished_at", "")
    digest = hashlib.sha256(findings.read_bytes()).hexdigest()[:16]
    return f"{finished[:19].replace(':', '')}-{digest}" if finished else digest, finished


def read_audit(audit_out: Path) -> tuple[list[tuple], list[tuple]]:
    """(families, statements) rows from the audit folder, joined in DuckDB."""
    from payproof.engine.duckdb_engine import DuckDBEngine

    findings = _required(audit_out, FINDINGS_FILE)
    offices = _required(audit_out, OFFICES_FILE)
    store = _required(audit_out, STORE_FILE)
    with DuckDBEngine() as engine:
        con = engine.con
        con.execute(f"ATTACH '{store}' AS store (READ_ONLY)")
        families = con.execute(FAMILY_SQL).fetchall()
        statements = con.execute(
            STATEMENT_SQL, {"findings": str(findings), "offices": str(offices)}
        ).fetchall()
    return families, statements


def load_audit(audit_out: Path) -> LoadResult:
    """Replace the portal's statements by those of ``audit_out`` atomically."""
    from django.db import transaction

    from payproof.portal.models import AuditRun, Family, Statement

    audit_out = Path(audit_out)
    families, statements = read_audit(audit_out)
    run_id, finished = run_identity(audit_out, audit_out / FINDINGS_FILE)
    owed: dict[str, int] = {}
    for row in statements:
        owed[row[0]] = owed.get(row[0], 0) + (row[5] or 0)
    registry = {r[0]: r for r in families}
    for fid in owed:  # a family paid but absent from the registry: no sign-in, still listed
        registry.setdefault(fid, (fid, "", "", ""))
    with transaction.atomic():
        run, _ = AuditRun.objects.update_or_create(
            run_id=run_id, defaults={"finished_at": finished, "source": str(audit_out)}
        )
        AuditRun.objects.exclude(pk=run.pk).update(current=False)
        run.current = True
        run.save(update_fields=["current"])
        existing = {f.family_id: f for f in Family.objects.all()}
        new, changed = [], []
        for fid, iin, phone, district in registry.values():
            f = existing.get(fid)
            total = owed.get(fid, 0)
            if f is None:
                new.append(
                    Family(family_id=fid, iin=iin, phone=phone, district=district, total_owed=total)
                )
            elif (f.iin, f.phone, f.district, f.total_owed) != (iin, phone, district, total):
                f.iin, f.phone, f.district, f.total_owed = iin, phone, district, total
                changed.append(f)
        Family.objects.bulk_create(new, batch_size=2000)
        Family.objects.bulk_update(
            changed, ["iin", "phone", "district", "total_owed"], batch_size=2000
        )
        gone = set(existing) - set(registry)
        Family.objects.filter(family_id__in=gone).update(total_owed=0)
        replaced, _ = Statement.objects.all().delete()
        ids = dict(Family.objects.values_list("family_id", "pk"))
        Statement.objects.bulk_create(
            (
                Statement(
                    family_id=ids[r[0]],
                    run=run,
                    period=r[1],
                    entitled=r[2],
                    disbursed=r[3],
                    received=r[4],
                    owed=r[5],
                    status=r[6],
                    office_id=r[7],
                    office_name=r[8],
                )
                for r in statements
            ),
            batch_size=5000,
        )
    return LoadResult(run_id, len(registry), len(statements), replaced)
