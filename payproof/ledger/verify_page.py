"""A static page that verifies a ``payproof-receipt/v1`` in the browser, with no server call.

One self-contained HTML file: the log's verifier key (C2SP vkey) is embedded, and inline
JavaScript checks a receipt with WebCrypto only — the Ed25519 signature of the checkpoint
(c2sp.org/signed-note, key hash and origin), the RFC 9162 inclusion proof against the
checkpoint's root, that the entry hashes to the proven leaf, and that the receipt's
private values open the entry's commitments. A Content-Security-Policy with the hashes
of the inline script and style forbids every network request, so the page cannot phone
home even if altered text were injected. Its words come from the payproof catalogs
(kk, ru, en), chosen by the browser and a switcher.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from importlib import resources
from pathlib import Path

from payproof.atomic import write_text
from payproof.errors import InputError
from payproof.i18n import LANGS, N_, translator
from payproof.ledger.entries import COMMIT_DOMAIN, KINDS
from payproof.ledger.note import Verifier, parse_vkey
from payproof.ledger.receipt import RECEIPT_FORMAT, TLOG_PROOF_HEADER

# Each language by its own name in the switcher.
LANG_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
# The page's words, keyed for the script; each is translated from the catalogs at build time.
MESSAGES = {
    "title": N_("Check a payproof receipt"),
    "intro": N_(
        "This page checks a receipt from the public log below, entirely in your browser: "
        "nothing is sent anywhere. Open, drop or paste the receipt file (JSON)."
    ),
    "log": N_("Public log"),
    "key": N_("Log's verifier key"),
    "open": N_("Open a receipt file"),
    "drop": N_("or drop it here, or paste its text below"),
    "check": N_("Check the pasted text"),
    "lang": N_("Language"),
    "pass": N_("VALID"),
    "fail": N_("NOT VALID"),
    "ok_text": N_(
        "Entry #{index} is in the public log, whose checkpoint signed by the log's key "
        "covers {size} entries. Nobody can remove or change it without the change being "
        "noticed. It proves what the programme publicly recorded, not that money arrived."
    ),
    "ok_opened": N_(
        "The private values in the receipt ({fields}) match the entry's commitments: "
        "the entry is about the receipt's holder, although the log shows no name or ID."
    ),
    "ok_witness": N_(
        "The checkpoint also carries {n} other signature(s) (witnesses); this page does not "
        "check them: use payproof ledger verify-receipt --policy for that."
    ),
    "entry": N_("Entry"),
    "no_webcrypto": N_(
        "This browser cannot check Ed25519 signatures (WebCrypto). Use a recent Chrome, Edge, "
        "Firefox or Safari, or payproof ledger verify-receipt."
    ),
    "err_json": N_("The file is not a receipt: it is not valid JSON."),
    "err_format": N_("The file is not a payproof receipt (format is not {format})."),
    "err_proof": N_("The receipt's proof is malformed: {why}."),
    "err_note": N_("The receipt's checkpoint is malformed: {why}."),
    "err_origin": N_("The receipt is for log {got}, not for this page's log {want}."),
    "err_sig": N_(
        "The checkpoint is not signed by this log's key: it was altered, or it comes from "
        "another log or key."
    ),
    "err_index": N_("The receipt's index does not match its proof."),
    "err_range": N_("The entry's index {index} is not inside the checkpoint's {size} entries."),
    "err_inclusion": N_(
        "The inclusion proof does not lead to the signed checkpoint's root: the entry or the "
        "proof was altered."
    ),
    "err_opening": N_(
        "The {field} in the receipt does not match the commitment in the log entry: the "
        "receipt's private part was altered or belongs to another entry."
    ),
    "err_entry": N_("The entry is not a payproof entry: {why}."),
}


def page_messages() -> dict[str, dict[str, str]]:
    """Every language's page words, from the catalogs (English is the msgid)."""
    return {lang: {k: translator(lang)._(v) for k, v in MESSAGES.items()} for lang in LANGS}


def _log_verifier(log_dir: Path, vkey: str | None) -> Verifier:
    """The log's verifier key: given, or from the log's own record; checked against the
    log's current checkpoint, so a page is never built with a key that does not sign it."""
    from payproof.ledger.checkpoint import open_checkpoint

    log_dir = Path(log_dir)
    if vkey is None:
        meta = log_dir / "private" / "log.json"
        if not meta.is_file():
            raise InputError(
                f"{log_dir} is not a payproof log folder (no private/log.json)",
                fix="pass the log's verifier key with --vkey for a mirror of its public files",
            )
        vkey = json.loads(meta.read_text(encoding="utf-8"))["vkey"]
    verifier = parse_vkey(vkey)
    cp = log_dir / "public" / "checkpoint"
    if cp.is_file():
        open_checkpoint(cp.read_bytes(), [verifier], origin=verifier.name)
    return verifier


def _asset(name: str) -> str:
    """The page's script or style sheet, kept beside this module as plain files."""
    return resources.files("payproof.ledger").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_verify_page(verifier: Verifier, lang: str | None = None) -> str:
    """The page as a string: deterministic for one key, one set of catalogs and ``lang``.

    Without ``lang`` the script picks the browser's language; with it (the portal passes
    the language the mother chose) the page opens in that language and says so in ``lang``.
    """
    config = {
        "vkey": verifier.vkey,
        "origin": verifier.name,
        "format": RECEIPT_FORMAT,
        "proofHeader": TLOG_PROOF_HEADER,
        "commitDomain": base64.b64encode(COMMIT_DOMAIN).decode(),
        "committed": {k.type: list(k.committed) for k in KINDS.values()},
        "messages": page_messages(),
        "langs": list(LANGS),
    }
    data = json.dumps(config, ensure_ascii=True, sort_keys=True).replace("</", "<\\/")
    script = _asset("verify_page.js").replace("/*CONFIG*/null", data)
    style = _asset("verify_page.css")
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    if lang is not None and lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", fix=f"use one of {', '.join(LANGS)}")
    words = page_messages()[lang or "en"]
    return _TEMPLATE.format(
        lang=lang or "en",
        fixed=f' data-lang="{lang}"' if lang else "",
        label=escape(words["lang"]),
        csp=escape(csp, quote=True),
        title=escape(words["title"]),
        style=style,
        script=script,
        origin=escape(verifier.name),
        vkey=escape(verifier.vkey),
        options="".join(f'<option value="{lang}">{LANG_NAMES[lang]}</option>' for lang in LANGS),
    )


def write_verify_page(
    log_dir: Path, out: Path, *, vkey: str | None = None, lang: str | None = None
) -> Path:
    """Write the verification page for the log in ``log_dir`` to ``out``; return ``out``."""
    return write_text(Path(out), render_verify_page(_log_verifier(log_dir, vkey), lang))


_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}"{fixed}>
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
<p class="lang"><label><span data-t="lang">{label}</span>
<select id="lang">{options}</select></label></p>
<h1 data-t="title">{title}</h1>
<p data-t="intro"></p>
<dl>
<dt data-t="log"></dt><dd><code id="origin">{origin}</code></dd>
<dt data-t="key"></dt><dd><code id="vkey">{vkey}</code></dd>
</dl>
<div id="drop" class="drop">
<label class="button"><span data-t="open"></span>
<input type="file" id="file" accept=".json,application/json,text/plain"></label>
<p><label for="paste" data-t="drop"></label></p>
<textarea id="paste" rows="6" spellcheck="false"></textarea>
<p><button type="button" id="check" data-t="check"></button></p>
</div>
<section id="result" aria-live="polite" hidden>
<h2 id="verdict"></h2>
<p id="reason"></p>
<pre id="entry"></pre>
</section>
</main>
<script>{script}</script>
</body>
</html>
"""
