// The receipt checks of payproof.ledger.verify_page, step by step as
// payproof.ledger.receipt.verify_receipt does them. CONFIG is filled in when the page is built.
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
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);  // base64 may itself hold "+"
  if (!m) throw new Error("not a verifier key");
  const [, name, id, key] = m;
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
  const fixed = document.documentElement.dataset.lang;  // the portal's chosen language
  if (fixed && CFG.langs.includes(fixed)) return fixed;
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
