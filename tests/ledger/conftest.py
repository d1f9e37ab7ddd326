"""Shared helpers for the ledger tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent / "vectors"


def load_json(name: str):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def load_jsonl(name: str) -> list[dict]:
    lines = (VECTORS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def note_vectors() -> dict:
    return load_json("note_vectors.json")
