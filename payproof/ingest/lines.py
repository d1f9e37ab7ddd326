"""Physical line numbers of CSV records, so a reject points at the line an editor shows.

DuckDB counts records, not lines: a quoted value that spans lines counts once, and
blank lines give no row (though its reject numbers do count blank lines after the
header). A ``LineMap`` holds only the records where the offsets change, so it stays
tiny for ordinary files. Files without multi-line values are scanned with numpy in
fixed-size chunks (bounded memory, C speed); only files that do have multi-line values
are walked with the csv module, which parses quotes the same way DuckDB does.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

CHUNK_BYTES = 1 << 20  # bytes held in Python at once while scanning a file
NL, CR = 10, 13


@dataclass(frozen=True)
class LineMap:
    """Change points, sorted: record ``j`` (0 = header; blank lines are not records), the
    number DuckDB gives it in ``reject_errors.line`` (``d``), and its first physical line
    (``l``). Between change points all three advance together."""

    j: np.ndarray
    d: np.ndarray
    l: np.ndarray  # noqa: E741 -- the physical line, as in the docstring
    data_lines: int = -1  # non-blank lines after the header (blank_line_map only)

    @property
    def identity(self) -> bool:
        return len(self.j) == 1 and self.d[0] == 1 and self.l[0] == 1

    def to_arrow(self) -> pa.Table:
        return pa.table({"j": self.j, "d": self.d, "l": self.l})


def _points(points: list[tuple[int, int, int]]) -> LineMap:
    arr = np.array(points, dtype=np.int64).reshape(-1, 3)
    return LineMap(arr[:, 0], arr[:, 1], arr[:, 2])


def blank_line_map(path: Path) -> LineMap:
    """Map for a file whose records are one line each: only blank lines shift numbers."""
    blanks: list[np.ndarray] = []
    lines_before = 0  # newlines seen in earlier chunks
    prev_nl = -1  # global offset of the last newline seen
    offset = 0
    prev_byte = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            a = np.frombuffer(chunk, dtype=np.uint8)
            nl = np.flatnonzero(a == NL)
            if len(nl):
                starts = np.empty_like(nl)
                starts[0] = prev_nl + 1 - offset
                starts[1:] = nl[:-1] + 1
                length = nl - starts
                # A line that is only "\r" (CRLF file) is blank too.
                last = np.where(nl > 0, a[np.maximum(nl - 1, 0)], prev_byte)
                blank = (length == 0) | ((length == 1) & (last == CR))
                blanks.append(lines_before + 1 + np.flatnonzero(blank))
                lines_before += len(nl)
                prev_nl = offset + int(nl[-1])
            offset += len(chunk)
            prev_byte = chunk[-1]
    n_lines = lines_before + (offset > prev_nl + 1)  # a last line may lack its newline
    b = np.concatenate(blanks) if blanks else np.empty(0, np.int64)
    lead = int(np.sum(b == np.arange(1, len(b) + 1)))
    points = [(0, 1, lead + 1)]
    run_end = np.flatnonzero(np.append(b[1:] != b[:-1] + 1, len(b) > 0))  # last blank of runs
    for k in run_end:
        line = int(b[k]) + 1
        if line <= lead + 1 or line > n_lines:  # before the header, or blank lines at the end
            continue
        nb = int(k) + 1
        points.append((line - 1 - nb, line - lead, line))
    lm = _points(points)
    data_lines = int(n_lines - len(b) - 1) if n_lines > lead else 0
    return LineMap(lm.j, lm.d, lm.l, data_lines)


def record_line_map(path: Path, delimiter: str) -> LineMap:
    """Map for a file with quoted values that span lines: walk its records with csv."""
    csv.field_size_limit(sys.maxsize)
    points: list[tuple[int, int, int]] = []
    last = None
    j, d, prev = -1, 0, 0
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True)
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                d += j >= 0  # DuckDB counts blank lines after the header, not before it
                continue
            j, d = j + 1, d + 1
            if (d - j, start - j) != last:
                points.append((j, d, start))
                last = (d - j, start - j)
    return _points(points or [(0, 1, 1)])
