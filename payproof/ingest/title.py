"""Find a header that sits below a title line.

Exports from 1C and Excel often open with a title ("Выплаты за январь 2022") and a
blank line before the real header. payproof takes the first line for the header, so
such a file seems to lack every column; naming the line the header is really on makes
the fix obvious (delete the lines above it) instead of leaving the user to guess.
"""

from __future__ import annotations

import csv
from pathlib import Path

from payproof.contract import header_aliases, header_key, load_contract

TITLE_LINES = 10  # how far down a header is looked for
SEPARATORS = (",", ";", "\t", "|")


def columns_named(fields: list[str], table: str) -> list[str]:
    """The contract columns of ``table`` that these header fields name (or alias)."""
    keys = {header_key(f) for f in fields}
    return [
        col
        for col, aliases in header_aliases(table).items()
        if any(header_key(a) in keys for a in aliases)
    ]


def header_below(lines: list[str], table: str | None, delimiter: str | None = None):
    """(line number, table, columns) of the first line after the first that names at
    least two columns of ``table`` (of any table when None), or None."""
    tables = [table] if table else list(load_contract().tables)
    for number, line in enumerate(lines[1:TITLE_LINES], start=2):
        for d in [delimiter] if delimiter else SEPARATORS:
            fields = next(csv.reader([line], delimiter=d), [])
            best = max(((columns_named(fields, t), t) for t in tables), key=lambda x: len(x[0]))
            if len(best[0]) >= 2:
                return number, best[1], best[0]
    return None


def title_hint(path: Path, encoding: str, table: str | None, delimiter: str | None) -> str:
    """A sentence saying on which line the header really is, or '' when no line is."""
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            lines = [fh.readline(1 << 16).rstrip("\r\n") for _ in range(TITLE_LINES)]
    except (OSError, LookupError):
        return ""
    found = header_below([line.lstrip("\ufeff") for line in lines], table, delimiter)
    if found is None:
        return ""
    number, _, columns = found
    return (
        f" Line {number} looks like the header (it names {', '.join(columns)}): delete the "
        f"{number - 1} line(s) above it (a title), then run again."
    )
