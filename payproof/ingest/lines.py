"""Physical line numbers of CSV records, so a reject points at the line an editor shows.

DuckDB gives good records in file order but without their place, and a rejected record
with the byte offset of its line. Physical lines therefore come from two facts that do
not depend on how DuckDB numbers lines:

- ``lines_at_offsets``: the line of each rejected record, by counting newlines before
  its byte offset (exact, whatever blank lines or multi-line values precede it);
- a ``LineMap``: the first physical line of every record, by its index in the file.
  It holds only the records where the offset changes, so it stays tiny for ordinary
  files. Files without multi-line values are scanned with numpy in fixed-size chunks
  (bounded memory, C speed); only files that do have multi-line values are walked
  with the csv module, which parses quotes the same way DuckDB does.
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
    """Change points, sorted: record ``j`` (0 = header; blank lines are not records) and
    its first physical line ``l``. Between change points both advance together."""

    j: np.ndarray
    l: np.ndarray  # noqa: E741 -- the physical line, as in the docstring
    records: int = -1  # data records after the header

    @property
    def identity(self) -> bool:
        return len(self.j) == 1 and self.l[0] == 1

    def to_arrow(self) -> pa.Table:
        return pa.table({"j": self.j, "l": self.l})


def _points(points: list[tuple[int, int]], records: int) -> LineMap:
    arr = np.array(points, dtype=np.int64).reshape(-1, 2)
    return LineMap(arr[:, 0], arr[:, 1], records)


def blank_line_map(path: Path) -> LineMap:
    """Map for a file whose records are one line each: only blank lines shift numbers.
    ``records`` is then the number of non-blank lines after the header."""
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
    points = [(0, lead + 1)]
    run_end = np.flatnonzero(np.append(b[1:] != b[:-1] + 1, len(b) > 0))  # last blank of runs
    for k in run_end:
        line = int(b[k]) + 1
        if line <= lead + 1 or line > n_lines:  # before the header, or blank lines at the end
            continue
        points.append((line - 1 - (int(k) + 1), line))
    records = int(n_lines - len(b) - 1) if n_lines > lead else 0
    return _points(points, records)


def record_line_map(path: Path, delimiter: str) -> LineMap:
    """Map for a file with quoted values that span lines: walk its records with csv."""
    csv.field_size_limit(sys.maxsize)
    points: list[tuple[int, int]] = []
    last = None
    j, prev = -1, 0
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True)
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue
            j += 1
            if start - j != last:
                points.append((j, start))
                last = start - j
    return _points(points or [(0, 1)], max(j, 0))


def lines_at_offsets(path: Path, offsets: np.ndarray) -> np.ndarray:
    """The physical line of the record at each byte offset (sorted ascending).

    DuckDB's offset of a rejected record may point at a blank line before it, so the
    record starts at the first byte at or after the offset that is not CR or LF.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    out = np.empty(len(offsets), dtype=np.int64)
    done = 0
    newlines = 0  # newlines in earlier chunks
    base = 0
    with path.open("rb") as fh:
        while done < len(offsets) and (chunk := fh.read(CHUNK_BYTES)):
            a = np.frombuffer(chunk, dtype=np.uint8)
            nl = np.flatnonzero(a == NL)
            content = np.flatnonzero((a != NL) & (a != CR))
            end = base + len(a)
            todo = offsets[done:]
            todo = todo[todo < end]  # offsets carried over from an earlier chunk start at 0
            k = np.searchsorted(content, np.maximum(todo - base, 0))
            found = k < len(content)  # a prefix, since offsets are sorted
            starts = content[k[found]]
            out[done : done + len(starts)] = 1 + newlines + np.searchsorted(nl, starts)
            done += len(starts)
            newlines += len(nl)
            base = end
    out[done:] = 1 + newlines  # past the last record: the end of the file
    return out
