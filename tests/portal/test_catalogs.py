"""The committed gettext catalogs: .mo matches .po, every string translated, none missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from payproof.portal.catalogs import LOCALE_DIR, catalogs, compiled

TEMPLATES = Path(__file__).parents[2] / "payproof" / "portal" / "templates" / "portal"
TRANSLATE = re.compile(r"""{% translate (["'])(.+?)\1 %}""")


def test_three_languages():
    assert sorted(p.parent.parent.name for p in catalogs()) == ["en", "kk", "ru"]


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: p.parent.parent.name)
def test_committed_mo_matches_po(po):
    assert po.with_suffix(".mo").read_bytes() == compiled(po), (
        f"{po.with_suffix('.mo')} is stale: run python -m payproof.portal.catalogs"
    )


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_translated(lang):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "django.po").open("rb") as fh:
        cat = read_po(fh)
    empty = [m.id for m in cat if m.id and not m.string]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not empty and not fuzzy
    # placeholders survive translation
    for m in cat:
        if m.id:
            assert set(re.findall(r"%\(\w+\)s", m.id)) == set(re.findall(r"%\(\w+\)s", m.string))


def test_every_template_string_is_in_the_catalog():
    with (LOCALE_DIR / "kk" / "LC_MESSAGES" / "django.po").open("rb") as fh:
        ids = {m.id for m in read_po(fh)}
    used = {m.group(2) for t in TEMPLATES.glob("*.html") for m in TRANSLATE.finditer(t.read_text())}
    assert used and not (used - ids), "run makemessages (docs/portal.md) for: " + repr(used - ids)
