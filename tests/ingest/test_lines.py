"""Line maps: the fast numpy scan agrees with the csv-module walk, across chunk edges."""

import random

import pytest

from payproof.ingest import lines
from payproof.ingest.lines import blank_line_map, record_line_map


def _random_file(rng: random.Random, newline: str) -> str:
    out = ["" for _ in range(rng.randint(0, 2))]  # blank lines before the header
    out.append("a,b,c")
    for i in range(rng.randint(0, 40)):
        out.append("" if rng.random() < 0.3 else f"{i},x{i},{'y' * rng.randint(0, 9)}")
    return newline.join(out) + (newline if rng.random() < 0.8 else "")


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blank_line_scan_matches_record_walk(tmp_path, monkeypatch, seed, newline):
    monkeypatch.setattr(lines, "CHUNK_BYTES", 1 + seed % 7)  # lines cross chunk edges
    path = tmp_path / "t.csv"
    path.write_bytes(_random_file(random.Random(seed), newline).encode())
    fast, slow = blank_line_map(path), record_line_map(path, ",")
    assert (fast.j.tolist(), fast.d.tolist(), fast.l.tolist()) == (
        slow.j.tolist(),
        slow.d.tolist(),
        slow.l.tolist(),
    )


def test_multi_line_value_moves_later_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"x\ny"\n2,z\n\n3,w\n')
    m = record_line_map(path, ",")
    # record 2 starts on line 4 (DuckDB calls it 3); record 3 on line 6 (DuckDB: 5)
    assert (m.j.tolist(), m.d.tolist(), m.l.tolist()) == ([0, 2, 3], [1, 3, 5], [1, 4, 6])
    assert blank_line_map(tmp_path / "t.csv").identity is False
