"""Read and rewrite a CSV input table as dicts: how tests inject bad values."""

import csv
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    """Write ``rows`` back with a header (``columns``: keep only these, in this order)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
