"""Tiny hand-made registry and payroll tables for the red-flag tests."""

from __future__ import annotations

from payproof.engine import DuckDBEngine

FAMILIES_DDL = (
    "CREATE TABLE families (_line BIGINT, family_id VARCHAR, mother_id VARCHAR, "
    "mother_name VARCHAR, mother_birth_date DATE, district VARCHAR, office_id VARCHAR, "
    "registered_on DATE, bank_account VARCHAR, phone VARCHAR)"
)
CHILDREN_DDL = (
    "CREATE TABLE children (_line BIGINT, child_id VARCHAR, family_id VARCHAR, "
    "child_national_id VARCHAR, name VARCHAR, birth_date DATE, death_date DATE, "
    "student_until DATE)"
)
DISB_DDL = (
    "CREATE TABLE disbursements (_line BIGINT, payment_id VARCHAR, family_id VARCHAR, "
    "period VARCHAR, amount BIGINT, paid_on DATE, office_id VARCHAR, staff_id VARCHAR, "
    "channel VARCHAR, account VARCHAR)"
)
STAFF_DDL = "CREATE TABLE staff (_line BIGINT, staff_id VARCHAR, office_id VARCHAR, name VARCHAR)"


def engine_with(families=(), children=(), payments=(), staff=()) -> DuckDBEngine:
    """families: (id, mother_birth, office, registered_on, account, phone);
    children: (id, family, national_id, birth, death);
    payments: (id, family, period, amount, office, staff, account)."""
    e = DuckDBEngine(memory_limit="1GB")
    for ddl in (FAMILIES_DDL, CHILDREN_DDL, DISB_DDL, STAFF_DDL):
        e.execute(ddl)
    for i, (fid, mb, office, reg, acc, phone) in enumerate(families):
        e.execute(
            "INSERT INTO families VALUES (?, ?, 'M' || ?, 'name', ?, 'D', ?, ?, ?, ?)",
            [i + 2, fid, fid, mb, office, reg, acc, phone],
        )
    for i, (cid, fid, nid, birth, death) in enumerate(children):
        e.execute(
            "INSERT INTO children VALUES (?, ?, ?, ?, 'child', ?, ?, NULL)",
            [i + 2, cid, fid, nid, birth, death],
        )
    for i, (pid, fid, period, amount, office, sid, acc) in enumerate(payments):
        e.execute(
            "INSERT INTO disbursements VALUES (?, ?, ?, ?, ?, DATE '2022-01-10', ?, ?, 'bank', ?)",
            [i + 2, pid, fid, period, amount, office, sid, acc],
        )
    for i, (sid, office) in enumerate(staff):
        e.execute("INSERT INTO staff VALUES (?, ?, ?, 'clerk')", [i + 2, sid, office])
    return e


def flags_of(e: DuckDBEngine, flag: str) -> set[tuple]:
    return {
        (f, c)
        for f, c in e.rows("SELECT family_id, child_id FROM red_flags WHERE flag = ?", [flag])
    }
