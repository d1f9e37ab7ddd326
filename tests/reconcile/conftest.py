"""Tiny hand-made typed tables, as load_input would create them (money in minor units)."""

from __future__ import annotations

import pytest

from payproof.engine import DuckDBEngine

DDL = """
CREATE TABLE offices (office_id VARCHAR, name VARCHAR, region VARCHAR, district VARCHAR,
  parent_office_id VARCHAR);
CREATE TABLE staff (staff_id VARCHAR, office_id VARCHAR, name VARCHAR, role VARCHAR);
CREATE TABLE families (family_id VARCHAR, mother_id VARCHAR, mother_name VARCHAR,
  mother_birth_date DATE, district VARCHAR, office_id VARCHAR, registered_on DATE,
  bank_account VARCHAR, phone VARCHAR);
CREATE TABLE children (child_id VARCHAR, family_id VARCHAR, child_national_id VARCHAR,
  name VARCHAR, birth_date DATE, death_date DATE, student_until DATE);
CREATE TABLE entitlements (family_id VARCHAR, period VARCHAR, amount BIGINT);
CREATE TABLE disbursements (payment_id VARCHAR, family_id VARCHAR, period VARCHAR,
  amount BIGINT, paid_on DATE, office_id VARCHAR, staff_id VARCHAR, channel VARCHAR,
  account VARCHAR);
CREATE TABLE receipts (receipt_id VARCHAR, family_id VARCHAR, period VARCHAR, amount BIGINT,
  reported_on DATE, source VARCHAR);
CREATE TABLE grievances (grievance_id VARCHAR, family_id VARCHAR, filed_on DATE,
  category VARCHAR, period VARCHAR, amount_claimed BIGINT, staff_id VARCHAR,
  description VARCHAR);
INSERT INTO offices VALUES ('O1', 'Office one', 'South', 'Sairam', NULL);
INSERT INTO staff VALUES ('S1', 'O1', 'Clerk one', 'clerk'), ('S2', 'O1', 'Clerk two', 'clerk');
"""


@pytest.fixture
def engine():
    with DuckDBEngine() as db:
        db.execute(DDL)
        yield db


def add_family(db, family_id, registered_on="2020-01-01", account=None, phone=None):
    db.execute(
        "INSERT INTO families VALUES (?, ?, 'M', DATE '1980-01-01', 'Sairam', 'O1', ?, ?, ?)",
        [family_id, "ID" + family_id, registered_on, account, phone],
    )


def add_payment(db, payment_id, family_id, period, amount, staff_id="S1", account=None):
    db.execute(
        "INSERT INTO disbursements VALUES (?, ?, ?, ?, DATE '2022-01-10', 'O1', ?, 'bank', ?)",
        [payment_id, family_id, period, amount, staff_id, account],
    )


def add_receipt(db, receipt_id, family_id, period, amount, source="bank_statement"):
    db.execute(
        "INSERT INTO receipts VALUES (?, ?, ?, ?, DATE '2022-01-20', ?)",
        [receipt_id, family_id, period, amount, source],
    )


def add_entitlement(db, family_id, period, amount):
    db.execute("INSERT INTO entitlements VALUES (?, ?, ?)", [family_id, period, amount])
