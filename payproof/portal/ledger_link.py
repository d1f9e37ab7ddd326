"""Append a filed grievance to the public ledger and build its receipt.

The entry is the ledger's own grievance layout (payproof.ledger.entries): the family id is a
salted commitment, the narrative (her words, the staff member she names) only the hash of
an encrypted blob kept off-log. The opening (salt, family id, narrative key) goes into her
receipt, so she alone can show the entry is hers.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
from django.conf import settings

from payproof.errors import BusyError
from payproof.ledger.entries import KINDS, encode_batch
from payproof.ledger.keys import write_key_pair
from payproof.ledger.note import parse_private_key
from payproof.ledger.receipt import receipt_for
from payproof.ledger.storage import Log

LOCK_WAIT_SECONDS = 15.0


def ensure_log(ledger_dir: Path, key_path: Path, origin: str = "payproof.local/portal") -> str:
    """Create the key and the log when absent (the demo); return the log's verifier key."""
    if not key_path.exists():
        made, _, _ = write_key_pair(origin, key_path.parent)
        made.rename(key_path)
        made.with_suffix(".vkey").rename(key_path.with_suffix(".vkey"))
    signer = parse_private_key(key_path.read_text(encoding="utf-8"))
    if not (ledger_dir / "private" / "log.json").exists():
        Log.create(ledger_dir, signer).close()
    return signer.vkey


def verifier_key() -> str:
    return Log(settings.LEDGER_DIR).meta["vkey"]


def _open_for_writing() -> Log:
    """The log's writer lock, waiting while another worker appends (one entry takes ms)."""
    signer = parse_private_key(settings.LEDGER_KEY.read_text(encoding="utf-8"))
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return Log.open(settings.LEDGER_DIR, signer=signer, write=True)
        except BusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def grievance_row(g) -> pa.Table:
    """The grievance as one row of the input contract's grievances table."""
    narrative = g.description
    if g.staff_named:
        narrative = f"[staff named: {g.staff_named}]\n{narrative}"
    return pa.table(
        {
            "grievance_id": pa.array([g.tracking], pa.string()),
            "family_id": pa.array([g.family.family_id if g.family else None], pa.string()),
            "filed_on": pa.array([g.filed_at.date()], pa.date32()),
            "category": pa.array([g.category], pa.string()),
            "period": pa.array([g.period or None], pa.string()),
            "amount_claimed": pa.array([g.amount_claimed], pa.int64()),
            # a name typed by the mother is personal data: it goes into the sealed narrative
            "staff_id": pa.array([None], pa.string()),
            "description": pa.array([narrative or None], pa.string()),
        }
    )


def append_grievance(g) -> dict:
    """Append ``g`` durably (signed checkpoint) and return her ``payproof-receipt/v1``."""
    enc = encode_batch(KINDS["grievances"], grievance_row(g))
    log = _open_for_writing()
    try:
        for digest, blob in enc.blobs.items():
            log.store_blob(digest, blob)
        result = log.append(enc.entries, enc.private)
        opening = enc.private.drop_columns(["content_sha256"]).to_pylist()[0]
        opening["salt"] = opening["salt"].hex()
        return receipt_for(log, result.first_index, opening)
    finally:
        log.close()
