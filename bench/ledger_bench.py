"""Ledger benchmark: append with fsync, inclusion proofs from a big log, audit, disk per entry.

Full size (issue 3 targets: append 1M < 60 s, proof from 10M < 2 ms, audit 1M < 30 s):

    python bench/ledger_bench.py --entries 1000000 --proof-entries 10000000

Quick check: python bench/ledger_bench.py --entries 100000 --proof-entries 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payproof.ledger import merkle, note  # noqa: E402
from payproof.ledger.audit import audit_log  # noqa: E402
from payproof.ledger.entries import KINDS, encode_batch  # noqa: E402
from payproof.ledger.storage import Log  # noqa: E402
from payproof.ledger.tiles import TileReader, dir_fetch  # noqa: E402


def payments(start: int, n: int) -> pa.Table:
    i = np.arange(start, start + n)
    s = pa.array(i).cast(pa.string())
    return pa.table(
        {
            "payment_id": pa.compute.binary_join_element_wise("P", s, ""),
            "family_id": pa.compute.binary_join_element_wise(
                "F", pa.array(i % 400_000).cast(pa.string()), ""
            ),
            "period": pa.array(np.array(["2024-01", "2024-02", "2024-03"])[i % 3]),
            "amount": pa.array(4_676_000 + (i % 1000), pa.int64()),
            "paid_on": pa.array(np.full(n, np.datetime64("2024-01-05"))).cast(pa.date32()),
            "office_id": pa.compute.binary_join_element_wise(
                "OF", pa.array(i % 40).cast(pa.string()), ""
            ),
            "staff_id": pa.compute.binary_join_element_wise(
                "S", pa.array(i % 900).cast(pa.string()), ""
            ),
            "channel": pa.array(np.array(["cash", "bank", "post"])[i % 3]),
            "account": pa.compute.binary_join_element_wise("KZ00", s, ""),
        }
    )


def du(path: Path) -> int:
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--proof-entries", type=int, default=1_000_000)
    ap.add_argument("--proofs", type=int, default=500)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        signer = note.generate_key("bench.example/payproof/allowance")
        log = Log.create(base / "log", signer)  # fsync on
        enc_s = app_s = 0.0
        t0 = time.perf_counter()
        for start in range(0, args.entries, args.batch):
            n = min(args.batch, args.entries - start)
            t = payments(start, n)
            a = time.perf_counter()
            enc = encode_batch(KINDS["disbursements"], t)
            b = time.perf_counter()
            log.append(enc.entries, enc.private)
            enc_s += b - a
            app_s += time.perf_counter() - b
        total = time.perf_counter() - t0
        n = args.entries
        print(
            f"append {n:,} payments in batches of {args.batch:,} (fsync on): {total:.1f} s "
            f"({n / total:,.0f} entries/s; encode {enc_s:.1f} s, hash+tiles+fsync {app_s:.1f} s)"
        )
        pub, priv = du(base / "log/public"), du(base / "log/private")
        print(
            f"disk: public log {pub / n:.0f} bytes/entry, private sidecar {priv / n:.0f} "
            f"bytes/entry (allocated blocks)"
        )
        t0 = time.perf_counter()
        rep = audit_log(base / "log")
        print(f"audit of {n:,} entries: {time.perf_counter() - t0:.1f} s (ok={rep.ok})")
        log.close()

        big = Log.create(base / "big", note.generate_key("bench.example/big"), fsync=False)
        t0 = time.perf_counter()
        step = 1_000_000
        for start in range(0, args.proof_entries, step):
            m = min(step, args.proof_entries - start)
            big.append([b"e%d" % i for i in range(start, start + m)])
        print(
            f"built a {args.proof_entries:,}-entry log (fast path, no fsync) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        size, root = big.size, big.root_hash
        idx = random.Random(1).sample(range(size), args.proofs)
        t0 = time.perf_counter()
        reads = 0
        for i in idx:
            r = TileReader(dir_fetch(base / "big/public"), size)  # fresh: no cache between proofs
            proof = merkle.inclusion_proof(i, size, r.node)
            reads += r.tiles_read
        per = (time.perf_counter() - t0) / len(idx) * 1000
        for i, p in zip(idx[:20], [big.inclusion_proof(i) for i in idx[:20]], strict=True):
            merkle.verify_inclusion(i, size, merkle.leaf_hash(b"e%d" % i), p, root)
        print(
            f"inclusion proof from a {size:,}-entry log: {per:.2f} ms each "
            f"({reads / len(idx):.1f} tiles read, {len(proof)} hashes)"
        )
        big.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
