"""Streaming table writers: CSV and/or Parquet from the same Arrow batches.

Money columns are DECIMAL(18,2) in major units (CSV shows "63030.00"); dates are
DATE (CSV shows ISO "2022-04-05"). Writing month by month keeps memory flat at
national scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

MONEY = pa.decimal128(18, 2)
CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def money(tenge: np.ndarray) -> pa.Array:
    """Whole tenge (int64) as exact DECIMAL(18,2) major units."""
    return _decimal(np.asarray(tenge, dtype=np.int64) * 100, None)


def money_or_null(tenge: np.ndarray, known: np.ndarray) -> pa.Array:
    return _decimal(np.asarray(tenge, dtype=np.int64) * 100, np.asarray(known, dtype=bool))


def _decimal(unscaled: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """Build the decimal array from its 128-bit little-endian two's complement words."""
    words = np.empty((len(unscaled), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = np.where(unscaled < 0, -1, 0)
    validity = None
    nulls = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = int((~valid).sum())
    return pa.Array.from_buffers(
        MONEY, len(unscaled), [validity, pa.py_buffer(words)], null_count=nulls
    )


def dates(day_numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as DATE, null where ``valid`` is False."""
    values = np.asarray(day_numbers, dtype=np.int64)
    if valid is None:
        return pa.array(values.astype(np.int32), type=pa.date32())
    values = np.where(valid, values, 0).astype(np.int32)
    return pa.array(values, type=pa.date32(), mask=~np.asarray(valid, dtype=bool))


def constant(text: str, n: int) -> pa.Array:
    return pa.array(np.full(n, text, dtype=object), type=pa.string())


class TableSink:
    """One table written as <name>.csv and/or <name>.parquet, batch by batch."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema, formats: tuple[str, ...]):
        self.schema = schema
        self.rows = 0
        self.paths: list[Path] = []
        self._csv = self._pq = None
        if "csv" in formats:
            path = folder / f"{name}.csv"
            self._csv = pacsv.CSVWriter(str(path), schema, write_options=CSV_OPTIONS)
            self.paths.append(path)
        if "parquet" in formats:
            path = folder / f"{name}.parquet"
            self._pq = pq.ParquetWriter(str(path), schema, compression="snappy")
            self.paths.append(path)

    def write(self, columns: dict[str, pa.Array]) -> None:
        table = pa.table(columns, schema=self.schema)
        self.rows += table.num_rows
        if self._csv is not None:
            self._csv.write_table(table)
        if self._pq is not None:
            self._pq.write_table(table)

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._pq is not None:
            self._pq.close()


def write_table(folder: Path, name: str, table: pa.Table, formats: tuple[str, ...]) -> list[Path]:
    """Write a whole table in the requested formats."""
    sink = TableSink(folder, name, table.schema, formats)
    sink.write({n: table.column(n) for n in table.column_names})
    sink.close()
    return sink.paths


S = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    "offices": pa.schema(
        [("office_id", S), ("name", S), ("region", S), ("district", S), ("parent_office_id", S)]
    ),
    "staff": pa.schema([("staff_id", S), ("office_id", S), ("name", S), ("role", S)]),
    "families": pa.schema(
        [
            ("family_id", S),
            ("mother_id", S),
            ("mother_name", S),
            ("mother_surname", S),
            ("mother_given_name", S),
            ("mother_patronymic", S),
            ("mother_birth_date", pa.date32()),
            ("district", S),
            ("office_id", S),
            ("registered_on", pa.date32()),
            ("bank_account", S),
            ("phone", S),
        ]
    ),
    "children": pa.schema(
        [
            ("child_id", S),
            ("family_id", S),
            ("child_national_id", S),
            ("name", S),
            ("child_surname", S),
            ("child_given_name", S),
            ("child_patronymic", S),
            ("birth_date", pa.date32()),
            ("death_date", pa.date32()),
            ("student_until", pa.date32()),
        ]
    ),
    "entitlements": pa.schema([("family_id", S), ("period", S), ("amount", MONEY)]),
    "disbursements": pa.schema(
        [
            ("payment_id", S),
            ("family_id", S),
            ("period", S),
            ("amount", MONEY),
            ("paid_on", pa.date32()),
            ("office_id", S),
            ("staff_id", S),
            ("channel", S),
            ("account", S),
        ]
    ),
    "receipts": pa.schema(
        [
            ("receipt_id", S),
            ("family_id", S),
            ("period", S),
            ("amount", MONEY),
            ("reported_on", pa.date32()),
            ("source", S),
        ]
    ),
    "grievances": pa.schema(
        [
            ("grievance_id", S),
            ("family_id", S),
            ("filed_on", pa.date32()),
            ("category", S),
            ("period", S),
            ("amount_claimed", MONEY),
            ("staff_id", S),
            ("description", S),
        ]
    ),
    "truth_family_periods": pa.schema(
        [
            ("family_id", S),
            ("period", S),
            ("E", MONEY),
            ("D", MONEY),
            ("R_evidence", MONEY),
            ("actual_received", MONEY),
            ("status", S),
            ("staff_id", S),
            ("staff_role", S),
        ]
    ),
}
