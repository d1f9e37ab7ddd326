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
from pathlib import Path

from payproof.atomic import write_text
from payproof.errors import InputError
from payproof.i18n import LANGS, N_, translator
from payproof.ledger.entries import COMMIT_DOMAIN, KINDS
from payproof.ledger.note import Verifier, parse_vkey
from payproof.ledger.receipt import RECEIPT_FORMAT, TLOG_PROOF_HEADER

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


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_verify_page(verifier: Verifier) -> str:
    """The page as a string: deterministic for one key and one set of catalogs."""
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
    script = _SCRIPT.replace("/*CONFIG*/null", data)
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; style-src {_csp_hash(_STYLE)}; "
        "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    en = page_messages()["en"]
    return _TEMPLATE.format(
        csp=escape(csp, quote=True),
        title=escape(en["title"]),
        style=_STYLE,
        script=script,
        origin=escape(verifier.name),
        vkey=escape(verifier.vkey),
        options="".join(f'<option value="{lang}">{lang}</option>' for lang in LANGS),
    )


def write_verify_page(log_dir: Path, out: Path, *, vkey: str | None = None) -> Path:
    """Write the verification page for the log in ``log_dir`` to ``out``; return ``out``."""
    return write_text(Path(out), render_verify_page(_log_verifier(log_dir, vkey)))


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
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
<p class="lang"><label><span data-t="lang">Language</span>
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
<p data-t="drop"></p>
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

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1a1a1a;background:#fafafa}
main{max-width:46rem;margin:0 auto;padding:1.5rem}
code{word-break:break-all;font-size:.85em}
dt{font-weight:600}dd{margin:0 0 .6rem 0}
.lang{text-align:right}
.drop{border:2px dashed #888;border-radius:8px;padding:1rem;background:#fff}
.drop.over{border-color:#0072B2;background:#eef6fb}
.button{display:inline-block;padding:.4rem .8rem;border:1px solid #0072B2;border-radius:6px;
cursor:pointer;color:#0072B2}
textarea{width:100%;box-sizing:border-box;font-family:monospace;font-size:.8em}
#result{margin-top:1.2rem;padding:1rem;border-radius:8px}
#result.pass{background:#e3f4ec;border:2px solid #009E73}
#result.fail{background:#fbe9e0;border:2px solid #D55E00}
#entry{white-space:pre-wrap;word-break:break-all;font-size:.8em}
@media print{.drop,.lang{display:none}}
"""

# The checks mirror payproof.ledger.receipt.verify_receipt step by step.
_SCRIPT = r"""
"use strict";
const CFG = /*CONFIG*/null;
const enc = new TextEncoder();
let lang = "en";
class Fail extends Error { constructor(key, args) { super(key); this.key = key; this.args = args || {}; } }
function t(key, args) {
  const text = (CFG.messages[lang] || CFG.messages.en)[key] || CFG.messages.en[key];
  return text.replace(/\{(\w+)\}/g, (m, k) => (args && k in args) ? String(args[k]) : m);
}
function b64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) throw new Error("not base64");
  const bin = atob(s); const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function cat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0); const out = new Uint8Array(n); let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }
function hex(bytes) { return Array.from(bytes, b => b.toString(16).padStart(2, "0")).join(""); }
function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

async function parseVkey(vkey) {
  const [name, id, key] = vkey.split("+");
  const raw = b64(key);
  if (raw[0] !== 1 || raw.length !== 33) throw new Error("not an Ed25519 verifier key");
  const hash = await sha256(cat(enc.encode(name + "\n"), raw));
  if (hex(hash.slice(0, 4)) !== id) throw new Error("key id does not match the key");
  const pub = await crypto.subtle.importKey("raw", raw.slice(1), {name: "Ed25519"}, false, ["verify"]);
  return {name, id: hash.slice(0, 4), pub};
}

function parseProof(text) {
  const cut = text.indexOf("\n\n");
  if (cut < 0) throw new Fail("err_proof", {why: "no blank line before the checkpoint"});
  const lines = text.slice(0, cut).split("\n"); const checkpoint = text.slice(cut + 2);
  if (lines[0] !== CFG.proofHeader) throw new Fail("err_proof", {why: "first line must be " + CFG.proofHeader});
  let pos = 1;
  if (lines[pos] && lines[pos].startsWith("extra ")) pos++;
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[pos] || "");
  if (!m) throw new Fail("err_proof", {why: "missing 'index <n>' line"});
  let hashes;
  try { hashes = lines.slice(pos + 1).map(b64); }
  catch (e) { throw new Fail("err_proof", {why: "a hash is not base64"}); }
  if (hashes.some(h => h.length !== 32)) throw new Fail("err_proof", {why: "every proof hash must be 32 bytes"});
  return {index: BigInt(m[1]), hashes, checkpoint};
}

// c2sp.org/signed-note: text, a blank line, then "\u2014 <name> <base64(key hash || signature)>" lines.
async function openCheckpoint(note, key) {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) throw new Fail("err_note", {why: "no signature block"});
  const text = note.slice(0, cut + 1);
  const sigLines = note.slice(cut + 2, -1).split("\n");
  let signed = false, others = 0;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Fail("err_note", {why: "bad signature line"});
    let raw; try { raw = b64(m[2]); } catch (e) { throw new Fail("err_note", {why: "signature is not base64"}); }
    if (m[1] === key.name && raw.length === 68 && same(raw.slice(0, 4), key.id)) {
      if (await crypto.subtle.verify({name: "Ed25519"}, key.pub, raw.slice(4), enc.encode(text))) signed = true;
    } else { others++; }
  }
  if (!signed) throw new Fail("err_sig");
  const body = text.slice(0, -1).split("\n");
  if (body.length < 3 || !/^(0|[1-9][0-9]*)$/.test(body[1])) throw new Fail("err_note", {why: "bad checkpoint body"});
  let root; try { root = b64(body[2]); } catch (e) { throw new Fail("err_note", {why: "root hash is not base64"}); }
  if (root.length !== 32) throw new Fail("err_note", {why: "root hash is not 32 bytes"});
  return {origin: body[0], size: BigInt(body[1]), root, others};
}

// RFC 9162, 2.1.3.2: verifying an inclusion proof.
async function rootFromProof(index, size, leaf, path) {
  if (index >= size) throw new Fail("err_range", {index, size});
  let fn = index, sn = size - 1n, r = leaf;
  const node = async (l, rr) => sha256(cat(new Uint8Array([1]), l, rr));
  for (const p of path) {
    if (sn === 0n) throw new Fail("err_inclusion");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await node(p, r);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      r = await node(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Fail("err_inclusion");
  return r;
}

async function checkOpening(entry, opening) {
  const committed = CFG.committed[entry.type];
  if (!committed) throw new Fail("err_entry", {why: "unknown type " + entry.type});
  const salt = opening.salt ? Uint8Array.from(opening.salt.match(/../g) || [], h => parseInt(h, 16)) : new Uint8Array();
  const domain = b64(CFG.commitDomain); const matched = [];
  for (const name of committed) {
    const want = entry[name + "_commitment"]; const value = opening[name];
    if (want == null && value == null) continue;
    if (value == null) throw new Fail("err_opening", {field: name});
    const got = hex(await sha256(cat(domain, enc.encode(name), new Uint8Array([0]), salt, enc.encode(String(value)))));
    if (got !== want) throw new Fail("err_opening", {field: name});
    matched.push(name);
  }
  return matched;
}

async function verify(text) {
  let receipt;
  try { receipt = JSON.parse(text); } catch (e) { throw new Fail("err_json"); }
  if (!receipt || receipt.format !== CFG.format) throw new Fail("err_format", {format: CFG.format});
  if (typeof receipt.tlog_proof !== "string" || typeof receipt.entry !== "string") throw new Fail("err_proof", {why: "missing tlog_proof or entry"});
  const key = await parseVkey(CFG.vkey);
  const proof = parseProof(receipt.tlog_proof);
  const cp = await openCheckpoint(proof.checkpoint, key);
  if (cp.origin !== key.name) throw new Fail("err_origin", {got: cp.origin, want: key.name});
  if (receipt.log !== undefined && receipt.log !== key.name) throw new Fail("err_origin", {got: receipt.log, want: key.name});
  const leaf = await sha256(cat(new Uint8Array([0]), enc.encode(receipt.entry)));
  const root = await rootFromProof(proof.index, cp.size, leaf, proof.hashes);
  if (!same(root, cp.root)) throw new Fail("err_inclusion");
  if (receipt.index === undefined || BigInt(receipt.index) !== proof.index) throw new Fail("err_index");
  let entry; try { entry = JSON.parse(receipt.entry); } catch (e) { throw new Fail("err_entry", {why: "not JSON"}); }
  const opened = await checkOpening(entry, receipt.opening || {});
  return {index: proof.index, size: cp.size, opened, others: cp.others, entry};
}

let last = null;
function show() {
  const box = document.getElementById("result");
  if (!last) { box.hidden = true; return; }
  box.hidden = false;
  const ok = last.ok; box.className = ok ? "pass" : "fail";
  box.dataset.verdict = ok ? "pass" : "fail";
  box.dataset.reason = ok ? "ok" : last.key;
  document.getElementById("verdict").textContent = t(ok ? "pass" : "fail");
  let reason;
  if (ok) {
    const v = last.v;
    reason = t("ok_text", {index: v.index, size: v.size});
    if (v.opened.length) reason += " " + t("ok_opened", {fields: v.opened.join(", ")});
    if (v.others) reason += " " + t("ok_witness", {n: v.others});
  } else { reason = t(last.key, last.args); }
  document.getElementById("reason").textContent = reason;
  document.getElementById("entry").textContent = ok ? t("entry") + ": " + JSON.stringify(last.v.entry, null, 1) : "";
}
async function run(text) {
  try { last = {ok: true, v: await verify(text)}; }
  catch (e) {
    if (e instanceof Fail) last = {ok: false, key: e.key, args: e.args};
    else if (!(globalThis.crypto && crypto.subtle)) last = {ok: false, key: "no_webcrypto", args: {}};
    else if (e && e.name === "NotSupportedError") last = {ok: false, key: "no_webcrypto", args: {}};
    else last = {ok: false, key: "err_note", args: {why: String(e && e.message || e)}};
  }
  show();
}
function setLang(value) {
  lang = CFG.langs.includes(value) ? value : "en";
  document.documentElement.lang = lang;
  document.getElementById("lang").value = lang;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  show();
}
function pickLang() {
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (CFG.langs.includes(base)) return base;
  }
  return "en";
}
document.getElementById("lang").addEventListener("change", e => setLang(e.target.value));
document.getElementById("file").addEventListener("change", async e => {
  const f = e.target.files[0]; if (f) run(await f.text());
});
document.getElementById("check").addEventListener("click", () => run(document.getElementById("paste").value));
const drop = document.getElementById("drop");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", async e => {
  e.preventDefault(); drop.classList.remove("over");
  const f = e.dataTransfer.files[0]; if (f) run(await f.text());
});
setLang(pickLang());
"""
