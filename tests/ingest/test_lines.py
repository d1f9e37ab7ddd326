"""Line maps: the fast numpy scan agrees with the csv-module walk, across chunk edges;
byte offsets give the true line of a record, whatever blank lines come before it."""

import random

import numpy as np
import pytest

from payproof.ingest import lines
from payproof.ingest.lines import blank_line_map, lines_at_offsets, record_line_map


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
    assert (fast.j.tolist(), fast.l.tolist(), fast.records) == (
        slow.j.tolist(),
        slow.l.tolist(),
        slow.records,
    )


def test_multi_line_value_moves_later_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"x\ny"\n2,z\n\n3,w\n')
    m = record_line_map(path, ",")
    # record 2 starts on line 4, record 3 on line 6
    assert (m.j.tolist(), m.l.tolist(), m.records) == ([0, 2, 3], [1, 4, 6], 3)
    assert blank_line_map(tmp_path / "t.csv").identity is False


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_offsets_give_the_line_of_the_record_not_of_a_blank_line_before_it(
    tmp_path, monkeypatch, chunk, newline
):
    """DuckDB may give a rejected record's offset as the start of the blank line before
    it: the record's line is the first non-blank line at or after the offset."""
    monkeypatch.setattr(lines, "CHUNK_BYTES", chunk)
    body = [b"a,b", b"1,x", b"", b"", b"2,y,EXTRA", b"3,z", b"", b"4,w"]
    data = newline.join(body)  # no final newline
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    starts = [sum(len(x) + len(newline) for x in body[:i]) for i in range(len(body))]
    offsets = np.array([starts[1], starts[2], starts[3], starts[4], starts[5], starts[7]])
    assert lines_at_offsets(path, offsets).tolist() == [2, 5, 5, 5, 6, 8]
    # an offset past the last record (nothing left but newlines) is the end of the file
    assert lines_at_offsets(path, np.array([len(data) + 5])).tolist() == [8]
