"""Extract, update, compile and check payproof's message catalogs with Babel's API.

Babel (BSD) replaces GNU gettext's xgettext/msgmerge/msgfmt, so neither building nor
checking the catalogs needs GPL tools. ``payproof.po`` in each language folder is the
source of truth (translations are written there); ``payproof.mo`` is compiled from it and
committed, and :func:`check` fails when the two disagree or a message is untranslated.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from payproof.i18n import DOMAIN, LANGS, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parent.parent
# The modules whose user-visible text is translated (relative to the package folder).
SOURCES = (
    "report/html.py",
    "report/wording.py",
    "report/terminal.py",
    "report/charts.py",
    "report/data.py",
    "report/cli.py",
    "audit/cli.py",
    "report/excluded.py",
    "exclusion/outputs.py",
    "linkage/report.py",
    "ledger/verify_page.py",
)
# gettext keywords: ``tr._``, ``tr.ngettext``, ``N_`` markers and wording.counted(tr, n, s, p).
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "counted": (3, 4)}
PROJECT = "payproof"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract() -> Catalog:
    """Every message in SOURCES, with its source lines, as a template catalog."""
    template = Catalog(project=PROJECT, fuzzy=False)
    for rel in SOURCES:
        for lineno, message, comments, context in extract_from_file(
            "python", PACKAGE / rel, keywords=KEYWORDS, strip_comment_tags=True
        ):
            template.add(message, None, [(f"payproof/{rel}", lineno)],
                         auto_comments=comments, context=context)  # fmt: skip
    return template


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def update() -> list[Path]:
    """Merge the extracted messages into each language's .po (kept translations stay)."""
    template = extract()
    written = []
    for lang in LANGS:
        path = po_path(lang)
        if path.is_file():
            catalog = read(lang)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project=PROJECT, fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=False,
                     include_previous=False)  # fmt: skip
        written.append(path)
    return written


def _mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_all() -> list[Path]:
    """Write each language's .mo from its .po."""
    out = []
    for lang in LANGS:
        mo_path(lang).write_bytes(_mo_bytes(read(lang)))
        out.append(mo_path(lang))
    return out


def problems() -> Iterator[str]:
    """What is wrong with the catalogs: missing or untranslated messages, stale .mo files,
    placeholders that differ between a message and its translation."""
    import re

    wanted = {m.id for m in extract() if m.id}
    field = re.compile(r"\{(\w*)\}")
    for lang in LANGS:
        catalog = read(lang)
        have = {m.id: m for m in catalog if m.id}
        for mid in sorted(wanted, key=str):
            key = mid[0] if isinstance(mid, tuple) else mid
            if mid not in have:
                yield f"{lang}: message not in catalog: {key[:70]!r}"
                continue
            if lang == "en":
                continue
            msg = have[mid]
            strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
            if msg.fuzzy or not all(strings):
                yield f"{lang}: untranslated: {key[:70]!r}"
                continue
            ids = mid if isinstance(mid, tuple) else (mid,)
            need = set(field.findall(ids[-1])) | set(field.findall(ids[0]))
            for s in strings:
                if set(field.findall(s)) != need:
                    yield f"{lang}: placeholders differ in {key[:60]!r}: {s[:60]!r}"
        if not mo_path(lang).is_file():
            yield f"{lang}: {mo_path(lang).name} missing: run python -m payproof.i18n compile"
            continue
        if mo_path(lang).read_bytes() != _mo_bytes(catalog):
            yield f"{lang}: {mo_path(lang).name} does not match {po_path(lang).name}: recompile"

