"""``payproof portal load AUDIT_OUT``: an audit's statements into the portal's database.

Statements come from the audit's published ``findings.parquet`` (per family and month:
entitled, paid out, received, owed, status, paying office) and ``offices.csv`` (office
names); the mother's IIN and the registry phone that signs her in come from the registry
table in the audit's store ``payproof.duckdb`` (no published output carries phones, on
purpose). The joins and per-family totals are SQL in DuckDB; the rows then stream into
Django's database in bounded batches (Arrow record batches; PostgreSQL ``COPY``, elsewhere
``executemany``), all in one transaction: statements are replaced as a whole, families
updated in place, grievances never touched. Memory stays bounded by the batch size, not by
the audit's size, so a national audit loads like the demo.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from payproof.audit.outputs import FINDINGS_FILE, OFFICES_FILE, STORE_FILE
from payproof.engine.export import restored
from payproof.errors import InputError

DEFAULT_BATCH_ROWS = 20_000
DEFAULT_MEMORY_LIMIT = "256MB"
STATEMENT_COLUMNS = (
    "family_id",
    "period",
    "entitled",
    "disbursed",
    "received",
    "owed",
    "status",
    "office_id",
    "office_name",
)
OWED_TIYN = "CAST(round(f.owed * 100) AS BIGINT)"
STATEMENT_SQL = """
SELECT f.family_id, f.period,
       CAST(round(f.entitled * 100) AS BIGINT) AS entitled,
       CAST(round(f.disbursed * 100) AS BIGINT) AS disbursed,
       CAST(round(f.received * 100) AS BIGINT) AS received,
       {owed} AS owed,
       f.status, coalesce(f.office_id, '') AS office_id,
       coalesce({office_name}, '') AS office_name
FROM read_parquet($findings) f
LEFT JOIN read_csv($offices, all_varchar = true) o ON o.office_id = f.office_id
ORDER BY f.family_id, f.period
""".format(owed=OWED_TIYN, office_name=restored("o.name"))  # offices.csv neutralises formulas
# Every family the load touches: the registry's (in its order) and any paid family absent
# from it (no sign-in, still listed), each with the sum of its statements' owed tiyn.
LOADED_FAMILIES_SQL = f"""
CREATE TEMP TABLE loaded_families AS
WITH totals AS (
    SELECT f.family_id, sum({OWED_TIYN}) AS owed FROM read_parquet($findings) f GROUP BY f.family_id
), registry AS (
    SELECT rowid AS n, family_id, coalesce(CAST(mother_id AS VARCHAR), '') AS iin,
           coalesce(CAST(phone AS VARCHAR), '') AS phone, coalesce(district, '') AS district
    FROM store.families
)
SELECT coalesce(r.family_id, t.family_id) AS family_id, coalesce(r.iin, '') AS iin,
       coalesce(r.phone, '') AS phone, coalesce(r.district, '') AS district,
       CAST(coalesce(t.owed, 0) AS BIGINT) AS total_owed, r.n
FROM registry r FULL JOIN totals t ON t.family_id = r.family_id
"""
FAMILY_ROWS_SQL = """
SELECT family_id, iin, phone, district, total_owed FROM loaded_families
ORDER BY n IS NULL, n, family_id
"""
NOT_LOADED_SQL = """
SELECT u.family_id FROM unnest($ids::VARCHAR[]) AS u(family_id)
ANTI JOIN loaded_families l ON l.family_id = u.family_id
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
    sha = hashlib.sha256()
    with findings.open("rb") as fh:  # in blocks: a national findings file is gigabytes
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    digest = sha.hexdigest()[:16]
    return f"{finished[:19].replace(':', '')}-{digest}" if finished else digest, finished


def _rows(reader) -> Iterator[list[tuple]]:
    """Python rows of each Arrow record batch, one batch at a time."""
    for batch in reader:
        yield list(zip(*(col.to_pylist() for col in batch.columns), strict=True))


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _in_size() -> int:
    """Most values one ``IN (...)`` may carry on this database (SQLite: 999 parameters)."""
    from django.db import connection

    return min(connection.features.max_query_params or 10_000, 10_000) - 1


def _family_pks(family_ids: list[str]) -> dict[str, int]:
    from payproof.portal.models import Family

    pks: dict[str, int] = {}
    for chunk in _chunks(family_ids, _in_size()):
        pks.update(Family.objects.filter(family_id__in=chunk).values_list("family_id", "pk"))
    return pks


def _zero_families_not_loaded(con, batch_rows: int) -> None:
    """Families of an earlier audit that this one no longer has owe nothing now.

    Walks the portal's families by key in pages and asks DuckDB which are not loaded, so
    neither side ever holds the whole family list."""
    from payproof.portal.models import Family

    last = ""
    while True:
        page = list(
            Family.objects.filter(family_id__gt=last)
            .order_by("family_id")
            .values_list("family_id", flat=True)[:batch_rows]
        )
        if not page:
            return
        last = page[-1]
        gone = [r[0] for r in con.execute(NOT_LOADED_SQL, {"ids": page}).fetchall()]
        for chunk in _chunks(gone, _in_size()):
            Family.objects.filter(family_id__in=chunk).update(total_owed=0)


def _upsert_families(rows: list[tuple]) -> None:
    """Add new families and update changed ones, one batch of the registry at a time."""
    from payproof.portal.models import Family

    existing: dict[str, Family] = {}
    for chunk in _chunks([r[0] for r in rows], _in_size()):
        existing.update((f.family_id, f) for f in Family.objects.filter(family_id__in=chunk))
    new, changed = [], []
    for fid, iin, phone, district, total in rows:
        f = existing.get(fid)
        if f is None:
            new.append(
                Family(family_id=fid, iin=iin, phone=phone, district=district, total_owed=total)
            )
        elif (f.iin, f.phone, f.district, f.total_owed) != (iin, phone, district, total):
            f.iin, f.phone, f.district, f.total_owed = iin, phone, district, total
            changed.append(f)
    Family.objects.bulk_create(new, batch_size=2000)
    Family.objects.bulk_update(changed, ["iin", "phone", "district", "total_owed"], batch_size=2000)


def insert_statements(cursor, rows: list[tuple]) -> None:
    """One batch of statement rows (family pk first, run pk second) into the table.

    PostgreSQL takes them by ``COPY`` (psycopg's copy protocol, the fastest bulk path);
    other databases by one prepared ``INSERT`` run over the batch."""
    from django.db import connection

    from payproof.portal.models import Statement

    qn = connection.ops.quote_name
    table = qn(Statement._meta.db_table)
    cols = ", ".join(qn(Statement._meta.get_field(c).column) for c in ("family", "run"))
    cols += ", " + ", ".join(qn(c) for c in STATEMENT_COLUMNS[1:])
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * (len(STATEMENT_COLUMNS) + 1))
        cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


def _load_statements(reader, run_pk: int) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        for rows in _rows(reader):
            pks = _family_pks(sorted({r[0] for r in rows}))
            insert_statements(cursor, [(pks[r[0]], run_pk, *r[1:]) for r in rows])
            count += len(rows)
    return count


def load_audit(audit_out: Path, batch_rows: int | None = None) -> LoadResult:
    """Replace the portal's statements by those of ``audit_out`` atomically.

    ``batch_rows`` (default: the ``PORTAL_LOAD_BATCH_ROWS`` setting) bounds how many rows
    are in Python at once; the result does not depend on it."""
    from django.conf import settings
    from django.db import transaction

    from payproof.engine.duckdb_engine import DuckDBEngine
    from payproof.portal.models import AuditRun, Statement

    batch_rows = batch_rows or getattr(settings, "PORTAL_LOAD_BATCH_ROWS", DEFAULT_BATCH_ROWS)
    audit_out = Path(audit_out)
    findings = _required(audit_out, FINDINGS_FILE)
    offices = _required(audit_out, OFFICES_FILE)
    store = _required(audit_out, STORE_FILE)
    run_id, finished = run_identity(audit_out, findings)
    # DuckDB's sort by family and month spills to disk beyond this, so the load's memory
    # does not grow with the audit (the engine's default, 4 GB, is sized for the audit).
    memory = getattr(settings, "PORTAL_LOAD_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    with DuckDBEngine(memory_limit=memory) as engine, transaction.atomic():
        con = engine.con
        con.execute(f"ATTACH '{store}' AS store (READ_ONLY)")
        con.execute(LOADED_FAMILIES_SQL, {"findings": str(findings)})
        run, _ = AuditRun.objects.update_or_create(
            run_id=run_id, defaults={"finished_at": finished, "source": str(audit_out)}
        )
        AuditRun.objects.exclude(pk=run.pk).update(current=False)
        run.current = True
        run.save(update_fields=["current"])
        _zero_families_not_loaded(con, batch_rows)
        families = 0
        for rows in _rows(con.sql(FAMILY_ROWS_SQL).to_arrow_reader(batch_rows)):
            _upsert_families(rows)
            families += len(rows)
        replaced, _ = Statement.objects.all().delete()
        reader = con.sql(
            STATEMENT_SQL, params={"findings": str(findings), "offices": str(offices)}
        ).to_arrow_reader(batch_rows)
        statements = _load_statements(reader, run.pk)
    return LoadResult(run_id, families, statements, replaced)
