"""Compile the portal's gettext catalogs (.po -> .mo) with Babel: no GNU gettext at run time.

``python -m payproof.portal.catalogs`` rewrites every ``payproof/locale/*/LC_MESSAGES/django.mo``
from its ``django.po``; a test checks the committed .mo files match.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"


def compiled(po_path: Path) -> bytes:
    """The .mo bytes of one .po file (deterministic: same .po, same bytes)."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    written = []
    for po in catalogs(locale_dir):
        mo = po.with_suffix(".mo")
        mo.write_bytes(compiled(po))
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(path)
