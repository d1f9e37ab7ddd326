"""``payproof inspect``: look at a folder of real exports and propose an import mapping.

Each file is sniffed from a sample of its bytes and records (never the whole
file): encoding (BOM, UTF-16 NUL patterns, strict UTF-8, else the Cyrillic code
page whose letters read most like Russian or Kazakh), delimiter (the one that
splits the header and the records alike), which table it is and which column is
which (contract names and built-in aliases), and how numbers, dates, periods and
coded values are written (from the shapes of the sampled values). Every guess
carries its evidence, so a person can review the proposal before using it.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from payproof.contract import header_aliases, header_key, load_contract, value_aliases
from payproof.errors import InputError
from payproof.ingest.checks import q
from payproof.ingest.mapping import ISO_DATE, ISO_PERIOD, SEPARATOR_NAMES, human_date_format
from payproof.ingest.title import TITLE_LINES, header_below

SAMPLE_BYTES = 4 << 20  # bytes read from the start of each file
SAMPLE_ROWS = 5_000  # records examined per file
DELIMITERS = (";", ",", "\t", "|")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
CODE_PAGES = ("cp1251", "kz1048", "cp866", "koi8_r")
LETTERS = set("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё" + "әғқңөұүһі")
# characters that real Russian or Kazakh text almost never holds: a code page that
# yields them read the bytes wrong (cp1251 gives Serbian letters where kz1048 has Kazakh)
UNLIKELY = set("ЂЃѓЉЊЌЋЏђљњќћџЎўЈҐґЅѕЇї¤¦§©¬®±µ¶•™‰‹›") | {chr(c) for c in range(0x80, 0xA0)}
UNLIKELY |= {chr(c) for c in range(0x2500, 0x2580)} | {"\ufffd"}  # box drawing (cp866)
SPACES = {" ": "space", "\u00a0": "no-break space", "\u202f": "narrow no-break space",
          "'": "apostrophe", "\u2019": "apostrophe", ".": "'.'", ",": "','"}  # fmt: skip
CURRENCY = ("тенге", "тг.", "тг", "₸", "KZT")
EXCEL_SERIALS = (20_000, 80_000)  # 1954 to 2119: a column of these is Excel day numbers
DATE_SHAPES = {
    ISO_DATE: r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "%d.%m.%Y": r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}",
    "%d/%m/%Y": r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}",
    "%d-%m-%Y": r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}",
    "%Y.%m.%d": r"[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}",
    "excel": r"[0-9]{5}",
}
MIDNIGHT = r"(?: 0?0:00(?::00)?)?"
PERIOD_SHAPES = {
    ISO_PERIOD: r"[0-9]{4}-(0[1-9]|1[0-2])",
    "MM.YYYY": r"(0?[1-9]|1[0-2])\.[0-9]{4}",
    "MM/YYYY": r"(0?[1-9]|1[0-2])/[0-9]{4}",
    "MM-YYYY": r"(0?[1-9]|1[0-2])-[0-9]{4}",
    "YYYY.MM": r"[0-9]{4}\.(0?[1-9]|1[0-2])",
    "YYYY/MM": r"[0-9]{4}/(0?[1-9]|1[0-2])",
}


@dataclass
class ColumnGuess:
    column: str  # contract column
    header: str  # as the file writes it
    evidence: str
    settings: dict[str, object] = field(default_factory=dict)  # format keys it implies
    values: dict[str, str] = field(default_factory=dict)  # enum words -> contract values


@dataclass
class FileGuess:
    path: Path
    table: str | None = None
    evidence: list[str] = field(default_factory=list)
    encoding: str | None = None  # None: UTF-8 (the default)
    delimiter: str | None = None
    records: int = 0
    columns: list[ColumnGuess] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required contract columns not found
    warnings: list[str] = field(default_factory=list)
    month_first: bool = False  # a/b/yyyy dates are MM/DD/YYYY (seen: a day over 12)
    score: float = 0.0  # how well its headers fit its table (see _match)

    def settings(self) -> dict[str, object]:
        """The table-level format settings its columns agree on (most common first)."""
        out: dict[str, object] = {}
        for key in ("decimal_mark", "thousands", "currency", "date_format", "period_format"):
            seen = Counter(repr(c.settings[key]) for c in self.columns if key in c.settings)
            if seen:
                best = seen.most_common(1)[0][0]
                out[key] = next(
                    c.settings[key] for c in self.columns if repr(c.settings.get(key)) == best
                )
        return out


def inspect_folder(folder: Path) -> list[FileGuess]:
    """A guess for every table-like file in ``folder`` (CSV/TXT/TSV, XLSX, Parquet)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder.", fix="Give the folder of the exports.")
    guesses = []
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if not path.is_file() or path.name.startswith("."):
            continue
        if suffix in TEXT_SUFFIXES:
            guesses.append(_inspect_text(path))
        elif suffix in (".xlsx", ".parquet"):
            guesses.append(_inspect_typed(path))
    _one_file_per_table(guesses)
    return guesses


def _one_file_per_table(guesses: list[FileGuess]) -> None:
    by_table: dict[str, list[FileGuess]] = {}
    for g in guesses:
        if g.table:
            by_table.setdefault(g.table, []).append(g)
    for table, files in by_table.items():
        if len(files) > 1:
            names = ", ".join(f.path.name for f in files)
            best = _best(files)
            for f in files:
                f.warnings.append(
                    f"{names} all look like {table}; the mapping proposes {best.path.name}, "
                    "whose headers fit it best: keep one, move the others away"
                )


def _best(files: list[FileGuess]) -> FileGuess:
    """The file whose headers fit its table best (the first by name on a tie)."""
    return max(files, key=lambda f: (f.score, -files.index(f)))


# --- reading a sample -----------------------------------------------------------------


def sniff_encoding(data: bytes) -> tuple[str | None, str]:
    """(Python codec or None for UTF-8, evidence) from the first bytes of a file."""
    if data.startswith(codecs.BOM_UTF8):
        return None, "UTF-8 byte-order mark"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16 byte-order mark"
    if len(data) >= 4:
        odd, even = data[1::2].count(0), data[0::2].count(0)
        if odd > 0.3 * len(data) / 2 and even < odd / 10:
            return "utf-16-le", "NUL bytes after every other byte: UTF-16 without a BOM"
        if even > 0.3 * len(data) / 2 and odd < even / 10:
            return "utf-16-be", "NUL bytes before every other byte: UTF-16 without a BOM"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return None, "valid UTF-8"
    except UnicodeDecodeError as exc:
        first_bad = f"byte 0x{data[exc.start]:02X} at offset {exc.start}"
    scores = {name: _cyrillic_score(data.decode(name, errors="replace")) for name in CODE_PAGES}
    best = max(CODE_PAGES, key=lambda n: scores[n])  # ties keep the first: cp1251
    return best, f"not UTF-8 ({first_bad}); reads as Cyrillic text in {best}"


def _cyrillic_score(text: str) -> int:
    """How much ``text`` reads like Russian or Kazakh: letters in words of two or more
    letters cased as words are (lower, Title or UPPER), less five per unlikely character.
    (A lone letter between digits -- cp866 reads a no-break space as 'а' -- counts nothing.)
    """
    score = -5 * sum(c in UNLIKELY for c in text)
    for word in re.findall(r"[^\W\d_]{2,}", text):
        if word.islower() or word.isupper() or word.istitle():
            score += sum(c in LETTERS for c in word.lower())
    return score


def _records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) > SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return rows


def sniff_delimiter(text: str) -> tuple[str, str]:
    """The delimiter that splits the header into most columns and the records alike."""
    best, best_score, evidence = ",", (-1.0, 0), "no delimiter splits the header"
    for d in DELIMITERS:
        rows = _records(text, d)[:200]
        if not rows or len(rows[0]) < 2:
            continue
        alike = sum(len(r) == len(rows[0]) for r in rows[1:]) / max(len(rows) - 1, 1)
        score = (round(alike, 2), len(rows[0]))
        if score > best_score:
            best, best_score = d, score
            evidence = (
                f"{_name(d)} splits the header into {len(rows[0])} columns and "
                f"{alike:.0%} of {len(rows) - 1} sampled records alike"
            )
    return best, evidence


def _name(d: str) -> str:
    return {"\t": "a tab"}.get(d, repr(d))


def _inspect_text(path: Path) -> FileGuess:
    g = FileGuess(path)
    with path.open("rb") as fh:
        data = fh.read(SAMPLE_BYTES)
    if not data.strip(b"\r\n\t \xef\xbb\xbf\xff\xfe\x00"):
        g.warnings.append("the file is empty: export the table again with its header row")
        return g
    if data[:4] == b"PK\x03\x04":
        g.warnings.append("this is a zip archive (an .xlsx saved as .csv?), not text")
        return g
    g.encoding, why = sniff_encoding(data)
    g.evidence.append(f"encoding: {why}")
    text = data.decode(g.encoding or "utf-8-sig", errors="replace")
    if len(data) == SAMPLE_BYTES:  # drop a record cut by the sample's end
        text = text[: text.rfind("\n") + 1]
    if g.encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        text = text.lstrip("\ufeff")
    g.delimiter, why = sniff_delimiter(text)
    g.evidence.append(f"delimiter: {why}")
    rows = _records(text, g.delimiter)
    _match(g, rows[0] if rows else [], rows[1:])
    if g.table is None and (below := header_below(text.splitlines()[:TITLE_LINES], None)):
        number, table, columns = below
        g.warnings.append(
            f"line {number} looks like a {table} header (it names {', '.join(columns)}): "
            f"delete the {number - 1} line(s) above it (a title) and inspect again"
        )
    return g


def _inspect_typed(path: Path) -> FileGuess:
    """XLSX and Parquet hold typed cells: only headers and coded values need a guess."""
    from payproof.engine.duckdb_engine import DuckDBEngine, sql_literal
    from payproof.ingest.sources import SourceFile, _stage_xlsx, staged_columns

    g = FileGuess(path)
    with DuckDBEngine() as engine:
        try:
            if path.suffix.lower() == ".parquet":
                engine.execute(
                    f"CREATE TABLE _s AS SELECT * FROM read_parquet({sql_literal(str(path))}) "
                    f"LIMIT {SAMPLE_ROWS}"
                )
                header = staged_columns(engine, "_s")
            else:
                src = SourceFile("?", path, "xlsx", size=path.stat().st_size)
                _stage_xlsx(engine, src, "_s")
                header = staged_columns(engine, "_s")
        except Exception as exc:  # noqa: BLE001 - reported as a warning on this file
            g.warnings.append(f"could not be read: {str(exc).splitlines()[0]}")
            return g
        cols = ", ".join(f"CAST({q(h)} AS VARCHAR)" for h in header)
        rows = [list(r) for r in engine.rows(f"SELECT {cols} FROM _s LIMIT {SAMPLE_ROWS}")]
    _match(g, header, [[v or "" for v in r] for r in rows])
    return g


# --- which table, which column, which format ------------------------------------------


def _match(g: FileGuess, header: list[str], rows: list[list[str]]) -> None:
    g.records = len(rows)
    keys = [header_key(h) for h in header]
    best: tuple[float, str] | None = None
    for table in load_contract().tables:
        found = sum(
            any(header_key(a) in keys for a in aliases)
            for aliases in header_aliases(table).values()
        )
        named = table in header_key(g.path.stem)
        # columns explained, less half a point per header the table has no use for
        score = found - 0.5 * (len(header) - found) + (0.5 if named else 0)
        if found >= 2 and (best is None or score > best[0]):
            best = (score, table)
    if best is None:
        g.warnings.append("no contract table matches its headers: " + ", ".join(header[:8]))
        return
    g.score, g.table = best
    _slash_order(g, rows)
    spec = load_contract().table(g.table)
    used: set[int] = set()
    for column, aliases in header_aliases(g.table).items():
        hits = [i for i, k in enumerate(keys) if k in {header_key(a) for a in aliases}]
        hits = [i for i in hits if i not in used]
        if not hits:
            col = spec.columns[column]
            if not col.nullable and col.bad_value != "flag":
                g.missing.append(column)
            continue
        if len(hits) > 1:
            g.warnings.append(
                f"{column}: {' and '.join(repr(header[i]) for i in hits)} could each be it; "
                f"the first is proposed"
            )
        i = hits[0]
        used.add(i)
        values = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
        g.columns.append(_column(g, column, header[i], values))
    g.unmatched = [h for i, h in enumerate(header) if i not in used]
    matched = len(g.columns)
    g.evidence.insert(
        0, f"table: {matched} of {len(spec.columns)} {g.table} columns found by their headers"
    )


def _column(g: FileGuess, column: str, header: str, values: list[str]) -> ColumnGuess:
    kind = load_contract().table(g.table or "").columns[column].type
    guess = ColumnGuess(column, header, "header")
    if not values:
        guess.evidence = "header; no values in the sample"
        return guess
    if kind == "money":
        _money(guess, values)
    elif kind == "date":
        fmt, n = _shape(values, _date_shapes(g))
        guess.settings["date_format"] = fmt
        guess.evidence = f"{n:,} of {len(values):,} values like {_example(values)}: {_words(fmt)}"
        _share_warning(g, guess, n, len(values))
    elif kind == "period":
        _period(g, guess, values)
    elif kind == "enum":
        _enum(g, guess, values)
    else:
        guess.evidence = f"header; e.g. {_example(values)}" if kind == "text" else "header"
    return guess


def _example(values: list[str]) -> str:
    return repr(values[0])


def _words(fmt: str) -> str:
    return human_date_format(fmt)


def _share_warning(g: FileGuess, guess: ColumnGuess, n: int, total: int) -> None:
    if n < total:
        g.warnings.append(
            f"{guess.column}: {total - n:,} of {total:,} sampled values do not fit the proposed "
            "format: they will be rejected (see rejects.csv after a run)"
        )


SLASH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}" + MIDNIGHT)


def _slash_order(g: FileGuess, rows: list[list[str]]) -> None:
    """Day or month first in a/b/yyyy dates, from every such value in the file: a file
    writes its dates one way, and one day over 12 anywhere settles it."""
    pairs = [(int(m[1]), int(m[2])) for r in rows for v in r if (m := SLASH_DATE.fullmatch(v))]
    if not pairs:
        return
    if any(b > 12 for _, b in pairs) and not any(a > 12 for a, _ in pairs):
        g.month_first = True
    elif not any(a > 12 for a, _ in pairs):
        g.warnings.append(
            "dates like a/b/yyyy never have a number over 12 in the sample: day first "
            "(DD/MM/YYYY) is proposed; check against a known date"
        )


def _date_shapes(g: FileGuess) -> dict[str, str]:
    shapes = dict(DATE_SHAPES)
    if g.month_first:
        shapes["%m/%d/%Y"] = shapes.pop("%d/%m/%Y")
    return shapes


def _shape(values: list[str], shapes: dict[str, str]) -> tuple[str, int]:
    counts = {}
    for fmt, pattern in shapes.items():
        rx = re.compile(pattern + (MIDNIGHT if "%" in fmt else ""))
        counts[fmt] = sum(bool(rx.fullmatch(v)) for v in values)
    if counts.get("excel"):
        lo, hi = EXCEL_SERIALS
        counts["excel"] = sum(v.isdigit() and lo <= int(v) <= hi for v in values)
    fmt = max(counts, key=lambda f: counts[f])
    return fmt, counts[fmt]


def _period(g: FileGuess, guess: ColumnGuess, values: list[str]) -> None:
    fmt, n = _shape(values, PERIOD_SHAPES)
    dfmt, dn = _shape(values, _date_shapes(g))
    if dn > n:
        firsts = sum(1 for v in values if re.match(r"0?1[./-]|[0-9]{4}-[0-9]{2}-01", v))
        guess.settings["period_format"] = "date"
        guess.settings["period_date_format"] = dfmt
        guess.evidence = (
            f"{dn:,} of {len(values):,} values are dates like {_example(values)} "
            f"({_words(dfmt)}); {firsts:,} fall on the first of a month"
        )
        _share_warning(g, guess, min(dn, firsts), len(values))
        return
    guess.settings["period_format"] = fmt
    guess.evidence = f"{n:,} of {len(values):,} values like {_example(values)}: {fmt}"
    _share_warning(g, guess, n, len(values))


def _money(guess: ColumnGuess, values: list[str]) -> None:
    comma = sum(bool(re.search(r"[0-9],[0-9]{1,2}(?![0-9])\D*$", v)) for v in values)
    point = sum(bool(re.search(r"[0-9]\.[0-9]{1,2}(?![0-9])\D*$", v)) for v in values)
    decimal = "," if comma > point else "."
    seps: Counter[str] = Counter()
    for v in values:
        for m in re.finditer(r"[0-9]([ \u00a0\u202f'\u2019.,])(?=[0-9]{3}(?![0-9]))", v):
            if m.group(1) != decimal:
                seps[m.group(1)] += 1
    currency = sorted({t for v in values for t in CURRENCY if t.lower() in v.lower()},
                      key=CURRENCY.index)  # fmt: skip
    thousands = [SEPARATOR_NAMES[s] for s in sorted(seps)]
    guess.settings.update(decimal_mark=decimal, thousands=thousands, currency=currency)
    words = [f"decimal mark {decimal!r}"]
    if seps:
        words.append("thousands by " + ", ".join(SPACES[s] for s in sorted(seps)))
    if currency:
        words.append("currency " + ", ".join(currency))
    guess.evidence = f"{len(values):,} values like {_example(values)}: " + "; ".join(words)


def _enum(g: FileGuess, guess: ColumnGuess, values: list[str]) -> None:
    col = load_contract().table(g.table or "").columns[guess.column]
    words = Counter(values)
    aliases = {header_key(w): v for v, ws in value_aliases(guess.column).items() for w in ws}
    unknown = []
    for word in words:
        if word in col.values:
            continue
        if header_key(word) in aliases:
            guess.values[word] = aliases[header_key(word)]
        else:
            unknown.append(word)
    guess.evidence = f"{len(words)} distinct values"
    if guess.values:
        guess.evidence += ": " + ", ".join(f"{w!r} -> {v}" for w, v in guess.values.items())
    if unknown:
        g.warnings.append(
            f"{guess.column}: no contract value known for {', '.join(map(repr, unknown[:5]))}: "
            f"map them under values (one of {', '.join(col.values)})"
        )


# --- the proposed mapping ---------------------------------------------------------------

SETTING_KEYS = ("encoding", "delimiter", "decimal_mark", "thousands", "currency",
                "date_format", "period_format")  # fmt: skip


def proposed_mapping(guesses: list[FileGuess]) -> dict:
    """The mapping the guesses imply, settings shared by every table hoisted to defaults."""
    tables: dict[str, dict] = {}
    by_table: dict[str, list[FileGuess]] = {}
    for g in guesses:
        if g.table:
            by_table.setdefault(g.table, []).append(g)
    for g in (_best(files) for files in by_table.values()):
        body: dict[str, object] = {"files": [glob.escape(g.path.name)]}
        s = g.settings()
        body.update({"encoding": g.encoding or "utf-8", "delimiter": g.delimiter})
        for key in SETTING_KEYS[2:]:
            if key in s:
                body[key] = s[key]
        if body.get("period_format") == "date":
            pdf = next(c.settings["period_date_format"] for c in g.columns
                       if c.settings.get("period_format") == "date")  # fmt: skip
            body.setdefault("date_format", pdf)
        body["columns"] = {c.column: _column_entry(c, body) for c in g.columns}
        tables[g.table] = {k: v for k, v in body.items() if v is not None}
    defaults: dict[str, object] = {}
    for key in SETTING_KEYS:
        seen = {repr(t[key]) for t in tables.values() if key in t}
        if len(seen) == 1:
            defaults[key] = next(t[key] for t in tables.values() if key in t)
            for t in tables.values():
                t.pop(key, None)
    if defaults.get("encoding") == "utf-8":
        del defaults["encoding"]  # the default: say nothing
    for t in tables.values():  # columns last, after the settings, for the reader
        t["columns"] = t.pop("columns")
    order = list(load_contract().tables)
    return {
        "version": 1,
        "defaults": defaults,
        "tables": {k: tables[k] for k in sorted(tables, key=order.index)},
    }


def _column_entry(c: ColumnGuess, table: dict) -> str | dict:
    entry: dict[str, object] = {"header": c.header}
    if "date_format" in c.settings and c.settings["date_format"] != table.get("date_format"):
        entry["date_format"] = c.settings["date_format"]
    if c.settings.get("period_format") == "date":
        pdf = c.settings["period_date_format"]
        if pdf != table.get("date_format"):
            entry["date_format"] = pdf
    if c.values:
        entry["values"] = dict(c.values)
    return entry if len(entry) > 1 else c.header
