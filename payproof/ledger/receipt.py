"""Receipts a beneficiary keeps: a c2sp.org/tlog-proof@v1 plus her entry and its opening.

The receipt verifies offline with only the log's verifier key and a witness
policy: the checkpoint signature (and cosignatures), the inclusion proof, and
that the private values (her family ID, account) open the entry's commitments.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from payproof.errors import InputError, VerificationError
from payproof.ledger import merkle
from payproof.ledger.checkpoint import open_checkpoint
from payproof.ledger.entries import check_opening, decode_entry
from payproof.ledger.note import Verifier, open_note
from payproof.ledger.policy import Policy

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
RECEIPT_FORMAT = "payproof-receipt/v1"


@dataclass
class TlogProof:
    index: int
    hashes: list[bytes]
    checkpoint: str
    extra: bytes | None = None

    def serialize(self) -> str:
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a tlog-proof strictly (header, optional extra, index, hashes, blank, checkpoint)."""

    def bad(why: str) -> VerificationError:
        return VerificationError(f"malformed tlog-proof: {why}")

    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise bad("no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise bad(f"first line must be {TLOG_PROOF_HEADER}")
    pos, extra = 1, None
    try:
        if len(lines) > pos and lines[pos].startswith("extra "):
            extra = base64.b64decode(lines[pos][6:], validate=True)
            pos += 1
        m = re.fullmatch(r"index (0|[1-9][0-9]*)", lines[pos]) if len(lines) > pos else None
        if not m:
            raise bad("missing 'index <n>' line")
        hashes = [base64.b64decode(h, validate=True) for h in lines[pos + 1 :]]
    except (binascii.Error, ValueError) as exc:
        raise bad("a hash is not base64") from exc
    if any(len(h) != 32 for h in hashes):
        raise bad("every proof hash must be 32 bytes")
    return TlogProof(int(m.group(1)), hashes, checkpoint, extra)


def make_receipt(log, record_id: str, type_: str | None = None) -> dict:
    """Build the receipt for one record of ``log`` at its current checkpoint."""
    opening = log.find_opening(record_id, type_)
    return receipt_for(log, opening.pop("index"), opening)


def receipt_for(log, index: int, opening: dict) -> dict:
    """The receipt of entry ``index`` whose opening the caller already holds (the portal
    has it from the append, and need not search the private sidecar)."""
    checkpoint = (log.public / "checkpoint").read_text(encoding="utf-8")
    size = open_checkpoint(checkpoint, [log.verifier], origin=log.origin).checkpoint.size
    proof = TlogProof(index, log.inclusion_proof(index, size), checkpoint)
    return {
        "format": RECEIPT_FORMAT,
        "log": log.origin,
        "index": index,
        "entry": log.entry(index).decode("utf-8"),
        "opening": {k: v for k, v in opening.items() if v is not None},
        "tlog_proof": proof.serialize(),
    }


@dataclass
class ReceiptVerdict:
    index: int
    size: int
    entry: dict
    cosigners: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    quorum: str | None = None

    def explain(self) -> str:
        e = self.entry
        what = {
            "payment": "a payment",
            "receipt": "a receipt confirmation",
            "entitlement": "an entitlement decision",
            "grievance": "a complaint (grievance)",
        }[e["type"]]
        amount = e.get("amount", e.get("amount_claimed"))
        detail = []
        for key in ("payment_id", "receipt_id", "grievance_id", "period", "office_id", "staff_id"):
            if e.get(key) is not None:
                detail.append(f"{key.replace('_', ' ')} {e[key]}")
        if amount is not None:
            detail.append(f"amount {amount // 100}.{amount % 100:02d}")
        wit = (
            f"It was also countersigned by independent witnesses: {', '.join(self.cosigners)}"
            f"{f' (policy quorum {self.quorum!r} met)' if self.quorum else ''}."
            if self.cosigners
            else "No independent witness countersigned it (the policy did not require one)."
        )
        opened = (
            f"The private values in this receipt ({', '.join(self.opened)}) match the "
            "commitments in the entry, so the entry is about you, although the public log "
            "shows no name or ID."
            if self.opened
            else "This entry carries no personal commitments."
        )
        return (
            f"VALID. This receipt proves that entry #{self.index}, {what} "
            f"({', '.join(detail)}), is in the public log, whose signed checkpoint covers "
            f"{self.size} entries. {wit} {opened} Nobody can now remove or change this entry "
            "without everyone holding a later checkpoint noticing. It does not prove the money "
            "reached you: it proves what the programme publicly recorded."
        )


def verify_receipt(
    receipt: dict, log_key: Verifier, policy: Policy | None = None
) -> ReceiptVerdict:
    """Check a receipt offline. Raises VerificationError with the reason if it fails."""
    if receipt.get("format") != RECEIPT_FORMAT:
        raise VerificationError("this file is not a payproof receipt")
    if receipt.get("log") not in (None, log_key.name):
        raise VerificationError(
            f"the receipt is for log {receipt['log']!r}, not for {log_key.name!r}",
            fix="use the verifier key of the log that issued the receipt",
        )
    proof = parse_tlog_proof(receipt["tlog_proof"])
    sc = open_checkpoint(proof.checkpoint, [log_key], origin=log_key.name)
    verdict_cosigners: list[str] = []
    quorum = None
    if policy is not None:
        note = open_note(proof.checkpoint, [log_key, *policy.witness_verifiers()])
        signed = {(s.name, s.key_id) for s in note.sigs}
        verdict_cosigners = sorted(n for n, _ in signed if n != log_key.name)
        if not policy.satisfied(signed):
            raise VerificationError(
                "the checkpoint lacks the witness cosignatures the policy requires",
                where=f"quorum {policy.quorum!r}; cosigned by {verdict_cosigners or 'none'}",
                fix="get a receipt from a checkpoint that the witnesses have cosigned",
            )
        quorum = policy.quorum
    entry_bytes = receipt["entry"].encode("utf-8")
    merkle.verify_inclusion(
        proof.index,
        sc.checkpoint.size,
        merkle.leaf_hash(entry_bytes),
        proof.hashes,
        sc.checkpoint.root,
    )
    if receipt.get("index") != proof.index:
        raise VerificationError("the receipt's index does not match its proof")
    entry = decode_entry(entry_bytes)
    opened = check_opening(entry, receipt.get("opening") or {})
    return ReceiptVerdict(proof.index, sc.checkpoint.size, entry, verdict_cosigners, opened, quorum)


def load_receipt(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read receipt {path}: {exc}") from exc
