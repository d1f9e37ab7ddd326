"""What a CSV file's bytes are, and a UTF-8 copy of them when DuckDB cannot read them as is.

DuckDB reads UTF-8 only, and rejects a whole record for one byte that is not UTF-8.
payproof wants the opposite: the record is kept and only the value that holds the bad
bytes is a bad value (an identity field is then left empty with a warning, an id or an
amount rejects its row). So a file that is not clean UTF-8 -- a declared legacy
encoding, a UTF-16 export, or a UTF-8 file with a few lines pasted in cp1251 -- is
first copied to UTF-8 in one streaming pass, each undecodable byte becoming U+FFFD.
Newlines survive decoding, so every line keeps its number. A clean UTF-8 file is
never copied.
"""

from __future__ import annotations

import codecs
import os
import tempfile
import unicodedata
from pathlib import Path

from payproof.errors import InputError

CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 1 << 16
REPLACEMENT = "\ufffd"
# The reason a value holding U+FFFD gets (checks.py); sources.py names the likely encoding.
INVALID_ENCODING = "invalid encoding: not UTF-8"
INVALID_ENCODING_REASON = (
    f"{INVALID_ENCODING}; each {REPLACEMENT} in the value stands for a byte that could not be read"
)
# UTF-8 Cyrillic decoded as Windows-1251 ("Р‘Р°СѓС‹") or Latin-1 ("Ð\x91Ð°"): each letter
# becomes Р/С (Ð/Ñ) and a character of the 0x80-0xBF row. Three such pairs in a row do
# not occur in Russian or Kazakh text, so a value holding them was read in the wrong
# encoding (a UTF-8 line inside a cp1251 export) and is reported, not kept as garbage.
_HIGH_ROW = bytes(range(0x80, 0xC0))
_CP1251_ROW = "".join(f"\\x{{{ord(c):04X}}}" for c in _HIGH_ROW.decode("cp1251", errors="ignore"))
MOJIBAKE_RE2 = (
    f"(?:[\\x{{0420}}\\x{{0421}}][{_CP1251_ROW}]){{3}}"
    "|(?:[\\x{00D0}\\x{00D1}][\\x{0080}-\\x{00BF}]){3}"
)
MOJIBAKE_REASON = (
    "invalid encoding: the value looks like UTF-8 text read in a single-byte encoding "
    "(such as 'Р‘Р°СѓС‹' for 'Бауы'): the file mixes encodings"
)
# Legacy encodings a Kazakh or Russian office export may be in, most likely first.
CANDIDATES = ("cp1251", "kz1048", "cp866", "koi8_r", "cp1252")
NAMES = {  # codec -> (what to call it, iconv's name)
    "cp1251": ("cp1251/Windows-1251 Cyrillic", "WINDOWS-1251"),
    "kz1048": ("kz1048/KZ-1048 Kazakh Cyrillic", "KZ-1048"),
    "cp866": ("cp866 DOS Cyrillic", "CP866"),
    "koi8-r": ("koi8-r Cyrillic", "KOI8-R"),
    "cp1252": ("cp1252/Windows-1252 Western European", "WINDOWS-1252"),
    "utf-16": ("UTF-16", "UTF-16"),
    "utf-16-le": ("UTF-16 little-endian", "UTF-16LE"),
    "utf-16-be": ("UTF-16 big-endian", "UTF-16BE"),
}
KAZAKH = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")
UNLIKELY = set("ЉљЊњЌќЋћЏџЂђЃѓЅѕЈјЎўЄєЇї")  # in cp1251 where kz1048 has Kazakh letters
MAGIC = (  # first bytes -> what the file really is
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook or a .zip file)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office) file"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
)


def codec_name(encoding: str) -> str:
    """The canonical Python name of a declared encoding (InputError if unknown)."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"Unknown encoding {encoding!r}.",
            fix="Give a Python codec name such as utf-8, cp1251, kz1048, cp866 or utf-16.",
        ) from None


def describe(codec: str) -> str:
    return NAMES.get(codecs.lookup(codec).name, (codec, codec))[0]


def is_utf8(codec: str | None) -> bool:
    return codec is None or codecs.lookup(codec).name in ("utf-8", "utf-8-sig")


def is_single_byte(codec: str | None) -> bool:
    """A declared code page with one character per byte (cp1251, kz1048, koi8-r, …): only
    text decoded through one can be UTF-8 misread as it (mojibake), so only such files
    need that check — it is a regular expression over every value, too dear to run on all."""
    return codec is not None and not codecs.lookup(codec).name.startswith("utf")


def sniff(path: Path) -> str | None:
    """The encoding the file's first bytes prove (a UTF-16 byte-order mark), or None.

    Raises InputError for what cannot be a CSV table at all: an archive, a binary file,
    UTF-32, or UTF-16 without a byte-order mark (which would need a guess).
    """
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    name = path.name
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise InputError(
                f"{name} is {what}, not a CSV text file.",
                where=str(path),
                fix="Give the file its real extension (.xlsx or .parquet are read directly), "
                "or open it and save it as CSV UTF-8.",
            )
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(
            f"{name} is UTF-32 text, which payproof does not read.",
            where=str(path),
            fix="Re-save it as CSV UTF-8, e.g. `iconv -f UTF-32 -t UTF-8 in.csv > out.csv`.",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # the byte-order mark says which UTF-16 it is
    if not head:
        return None
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and max(even.count(0) / len(even), odd.count(0) / max(len(odd), 1)) > 0.3:
        order = "utf-16-le" if odd.count(0) > even.count(0) else "utf-16-be"
        raise InputError(
            f"{name} looks like {describe(order)} text without a byte-order mark "
            "(every other byte is zero).",
            where=str(path),
            fix=f"Declare `encoding: {order}` in an import mapping (--mapping), or re-save "
            f"it as CSV UTF-8, e.g. `iconv -f {NAMES[order][1]} -t UTF-8 in.csv > out.csv`.",
        )
    control = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if control > 0.1 * len(head):
        raise InputError(
            f"{name} is not a text file: {control} of its first {len(head)} bytes are "
            "control characters.",
            where=str(path),
            fix="Check that this is the exported table; save it as CSV UTF-8.",
        )
    return None


def transcode(path: Path, encoding: str, temp_dir: Path) -> Path:
    """A UTF-8 copy of ``path`` read as ``encoding``, each undecodable byte as U+FFFD.

    Streams in ``CHUNK_BYTES`` pieces (an incremental decoder keeps a character cut
    between two pieces whole); the copy goes to ``temp_dir`` and the caller deletes it.
    A byte-order mark is dropped; newlines are kept, so line numbers stay true.
    """
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # an optional BOM is not text
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".utf8.csv", dir=temp_dir)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK_BYTES):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def guess(samples: list[bytes]) -> str | None:
    """The legacy encoding in which these non-UTF-8 lines read best as words, or None.

    Scores each candidate by the letters it makes of the bytes above 127 (lower-case
    letters count most: ordinary text is mostly lower-case, and that tells cp1251 from
    koi8-r, whose cases are swapped); Kazakh letters favour kz1048.
    """
    data = b"\n".join(samples)
    if not any(b > 127 for b in data):
        return None
    best, best_score = None, 0.0
    for codec in CANDIDATES:
        text = data.decode(codec, errors="replace")
        score = 0.0
        for ch in text:
            if ord(ch) < 128:
                continue
            if ch in KAZAKH:
                score += 2.5
            elif ch in UNLIKELY:
                score -= 1
            elif ch.isalpha():
                cyrillic = "CYRILLIC" in unicodedata.name(ch, "")
                score += (2 if ch.islower() else 1) * (1 if cyrillic else 0.8)
            else:
                score -= 1
        if score > best_score:
            best, best_score = codecs.lookup(codec).name, score
    return best


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe to print on a terminal: control characters shown as \\xNN, capped."""
    out = "".join(ch if ch.isprintable() else _escape(ch) for ch in text[: limit * 2])
    return out if len(out) <= limit else out[: limit - 1] + "…"


def error_text(exc: BaseException) -> str:
    """The first line of an error, safe to print: DuckDB quotes the bytes it could not
    read, which for a binary file would put raw control codes on the terminal."""
    text = str(exc).strip()
    return printable(text.splitlines()[0]) if text else type(exc).__name__


def _escape(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
