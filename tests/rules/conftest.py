"""Shared helpers for the rules tests: tiny registries in an in-memory DuckDB."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from payproof.engine import DuckDBEngine
from payproof.rules import load_rules


@pytest.fixture(scope="session")
def kz():
    return load_rules(None)


@pytest.fixture
def engine():
    with DuckDBEngine(memory_limit="512MB", threads=1) as eng:
        yield eng


def load_registry(engine, families: list[tuple], children: list[tuple]) -> None:
    """families: (family_id, registered_on); children: (family_id, birth, death, student_until)."""
    fam = pa.table(
        {
            "family_id": pa.array([f[0] for f in families], pa.string()),
            "registered_on": pa.array([f[1] for f in families], pa.date32()),
        }
    )
    kids = pa.table(
        {
            "child_id": pa.array([f"c{i}" for i in range(len(children))], pa.string()),
            "family_id": pa.array([c[0] for c in children], pa.string()),
            "birth_date": pa.array([c[1] for c in children], pa.date32()),
            "death_date": pa.array([c[2] for c in children], pa.date32()),
            "student_until": pa.array([c[3] for c in children], pa.date32()),
        }
    )
    engine.register_arrow("families_arrow", fam)
    engine.register_arrow("children_arrow", kids)
    engine.materialise("families", "SELECT * FROM families_arrow")
    engine.materialise("children", "SELECT * FROM children_arrow")


def young(family_id: str, n: int) -> list[tuple]:
    """``n`` children who count in every month of 2020-2027."""
    return [(family_id, date(2015, 1, 1 + i), None, None) for i in range(n)]


def computed(engine, table: str = "entitlements_computed") -> dict[tuple[str, str], tuple]:
    rows = engine.rows(f"SELECT family_id, period, n_children, amount, rules FROM {table}")
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
