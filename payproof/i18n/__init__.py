"""Message catalogs for the report, the terminal summary and the receipt page (kk, ru, en).

Stdlib ``gettext`` reads the compiled ``payproof.mo`` of each language; the translator is
an object passed explicitly to whatever renders text, so two runs in different languages
in one process never share state (no ``gettext.install``, no global locale). English is the
source language: its messages are the msgids, so ``--lang en`` output is the text as written.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DOMAIN = "payproof"
LANGS = ("en", "ru", "kk")
DEFAULT_LANG = "en"
ENV_VAR = "PAYPROOF_LANG"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_HELP = "Language of the report and summary: kk, ru or en (default: $PAYPROOF_LANG or en)."


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Translator:
    """One language's messages. Pass it to the code that renders text; never install it."""

    lang: str
    catalog: gettext.NullTranslations

    def _(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)


def check_lang(lang: str | None) -> str:
    """``lang``, or $PAYPROOF_LANG, or English; anything else is a usage error."""
    from payproof.errors import UsageError

    value = (lang or os.environ.get(ENV_VAR) or DEFAULT_LANG).strip().lower()
    if value not in LANGS:
        raise UsageError(
            f"unknown language {value!r}",
            fix=f"use one of {', '.join(LANGS)} (--lang or ${ENV_VAR})",
        )
    return value


@cache
def translator(lang: str = DEFAULT_LANG) -> Translator:
    """The translator for ``lang`` (one of LANGS), read from the committed .mo catalog."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if lang == DEFAULT_LANG and not mo.is_file():
        return Translator(lang, gettext.NullTranslations())
    with mo.open("rb") as fh:
        return Translator(lang, gettext.GNUTranslations(fh))


EN = Translator(DEFAULT_LANG, gettext.NullTranslations())
