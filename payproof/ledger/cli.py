"""``payproof ledger ...`` (owned by the ledger package). Thin wrappers over payproof.ledger."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import typer

app = typer.Typer(
    help="The tamper-evident public log of payments, receipts and complaints.", no_args_is_help=True
)
witness_app = typer.Typer(help="Run an independent witness that cosigns checkpoints.")
app.add_typer(witness_app, name="witness")

KEY_HELP = "File holding the PRIVATE+KEY+... string (from 'payproof ledger keygen')."


def _signer(path: Path):
    from payproof.errors import InputError
    from payproof.ledger.note import parse_private_key

    try:
        return parse_private_key(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read key file {path}: {exc}") from exc


def _vkey(value: str):
    """A verifier key given inline or as a file path."""
    from payproof.ledger.note import parse_vkey

    p = Path(value)
    return parse_vkey(p.read_text(encoding="utf-8").strip() if p.is_file() else value)


@app.command()
def keygen(
    name: str = typer.Argument(..., help="Key name = log origin, e.g. gov.example/payproof/prog"),
    out: Path = typer.Option(Path("."), help="Folder for <name>.key and <name>.vkey."),
    witness: bool = typer.Option(False, help="Make a witness cosignature key (type 0x04)."),
    rotate: bool = typer.Option(
        False,
        "--rotate",
        help="Replace an existing key pair of this name: the old files are kept, renamed "
        "<file>.replaced-<UTC time>; nothing is deleted.",
    ),
) -> None:
    """Generate an Ed25519 key pair in Go signed-note formats (never overwrites a key)."""
    from payproof.ledger.keys import write_key_pair

    key_path, vkey, kept = write_key_pair(name, out, witness=witness, rotate=rotate)
    for old, new in kept:
        typer.echo(f"kept the previous {old.name} as {new}")
    if kept:
        typer.echo(
            "note: a log signed with the previous key cannot be appended to with the new one; "
            "a new key means a new log (origin): see docs/ledger.md, Keys"
        )
    typer.echo(f"private key: {key_path} (keep secret)\nverifier key: {vkey}")


@app.command()
def init(
    log_dir: Path = typer.Argument(..., help="New log folder (public/ is what you serve)."),
    key: Path = typer.Option(..., help=KEY_HELP),
) -> None:
    """Create an empty log and sign its first checkpoint (size 0)."""
    from payproof.ledger.storage import Log

    Log.create(log_dir, _signer(key)).close()
    typer.echo(f"created log at {log_dir}; serve {log_dir / 'public'} as static files")


@app.command()
def append(
    log_dir: Path = typer.Argument(...),
    input_dir: Path = typer.Argument(..., help="A programme export (input contract folder)."),
    key: Path = typer.Option(..., help=KEY_HELP),
    tables: str = typer.Option(
        "entitlements,disbursements,receipts,grievances", help="Comma-separated tables to log."
    ),
    batch_rows: int = typer.Option(100_000, help="Entries per batch (one checkpoint each)."),
    rules: str = typer.Option(
        None,
        "--rules",
        help="Rules name or YAML file for entitlements when the export has no entitlements "
        "table (default: kz-large-family).",
    ),
    rejects: Path = typer.Option(
        None,
        "--rejects",
        help="Where to write rejects.csv (rows rejected at ingest; it quotes personal values). "
        "Default: <log>/private/rejects.csv.",
    ),
    mapping: Path = typer.Option(
        None, "--mapping", help="Import mapping (YAML) for exports in other formats; see "
        "docs/importing.md and `payproof inspect`."
    ),
) -> None:
    """Validate a programme's files and append its new records, one checkpoint per batch.

    Records already in the log (same kind and key, same content) are skipped, so running
    the same append again after an interruption completes the log without doubling it.
    Records whose content differs from what was logged are refused (nothing is appended).
    """
    from payproof.engine.duckdb_engine import DuckDBEngine
    from payproof.ledger.storage import Log

    rejects_path = rejects or Path(log_dir) / "private" / "rejects.csv"
    wanted = [t.strip() for t in tables.split(",") if t.strip()]
    _check_tables(wanted)
    if rejects is not None:  # the default, under the log, is the log's own folder
        _check_rejects_apart(rejects, input_dir)
    rules_obj = _rules(rules) if "entitlements" in wanted else None
    with DuckDBEngine() as engine, Log.open(log_dir, signer=_signer(key), write=True) as log:
        ingest = _ingest(input_dir, engine, rejects_path, mapping)
        _append_and_report(log, engine, ingest, wanted, rules_obj, batch_rows)


def _check_tables(wanted: list[str]) -> None:
    """Refuse an unknown table name before the export is read."""
    from payproof.errors import UsageError
    from payproof.ledger.entries import ORDER

    unknown = [t for t in wanted if t not in ORDER]
    if unknown or not wanted:
        raise UsageError(
            f"--tables: unknown ledger table(s) {', '.join(unknown) or '(none given)'}",
            fix=f"use a comma-separated list of {', '.join(ORDER)}",
        )


def _check_rejects_apart(rejects_path: Path, input_dir: Path) -> None:
    """Refuse a --rejects file inside the export folder: it would overwrite or add to the
    input (``--rejects export/families.csv`` replaced the families export)."""
    from payproof.errors import UsageError

    if Path(rejects_path).resolve().is_relative_to(Path(input_dir).resolve()):
        raise UsageError(
            f"--rejects {rejects_path} lies inside the input folder {input_dir}: it would "
            "overwrite or mix with the exports. Nothing was written.",
            where=str(rejects_path),
            fix="Leave --rejects out (it goes to <log>/private/rejects.csv) or give a path "
            "outside the input folder.",
        )


def _rules(rules: str | None):
    from payproof.rules import load_rules

    return load_rules(rules)


def _ingest(input_dir: Path, engine, rejects_path: Path, mapping: Path | None = None):
    """Ingest, and write the rejects table first whatever happens (if ingest created it)."""
    from payproof.ingest import load_input
    from payproof.ingest.mapping import load_mapping

    mapping_obj = load_mapping(mapping) if mapping else None
    try:
        ingest = load_input(input_dir, engine, mapping=mapping_obj)
    except BaseException:
        try:
            _write_rejects(engine, rejects_path, None)
        except Exception as exc:  # never hide why ingest stopped behind this
            typer.echo(f"could not write {rejects_path}: {exc}", err=True)
        raise
    _write_rejects(engine, rejects_path, ingest)
    return ingest


def _write_rejects(engine, path: Path, ingest) -> None:
    from payproof.ingest.rejects import write_rejects_csv

    has = engine.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rejects'"
    )
    if not has:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_rejects_csv(engine, path)
    rows = (
        ingest.rejected
        if ingest is not None
        else engine.scalar(
            "SELECT count(DISTINCT (table_name, line)) FROM rejects WHERE severity = 'error'"
        )
    )
    typer.echo(f"rejected at ingest: {rows} row(s); details in {path}", err=ingest is None)


def _append_and_report(log, engine, ingest, wanted, rules_obj, batch_rows) -> None:
    from payproof.ledger.append import AppendProgress, append_from_engine, entitlement_source

    sources: dict[str, str] = {}
    ent = None
    if "entitlements" in wanted:
        given = ingest.tables["entitlements"].file is not None
        ent = entitlement_source(engine, given, rules_obj)
        if ent.relation is None:
            wanted = [t for t in wanted if t != "entitlements"]
        else:
            sources["entitlements"] = ent.relation
    progress = AppendProgress()
    try:
        append_from_engine(
            log,
            engine,
            wanted,
            batch_rows=batch_rows,
            sources=sources,
            progress=progress,
            conflicts_csv=Path(log.private) / "conflicts.csv",
        )
    except BaseException as exc:
        _report_stop(progress, exc)
        raise
    for table, plan in progress.plans.items():
        rejected = ingest.tables[table].rows_rejected if table in ingest.tables else 0
        source = f"{plan.rows} accepted, {rejected} rejected at ingest"
        if table == "entitlements" and ent is not None and ent.basis == "rules":
            source = f"{plan.rows} computed with rules {ent.rules_label}, sha256 {ent.rules_sha256}"
        typer.echo(f"{table}: {plan.new} new, {plan.already} already logged ({source})")
    if ent is not None and ent.basis == "none":
        typer.echo("entitlements: none in the export and no children to compute them from")
    typer.echo(
        f"{progress.batches} batch(es), {progress.entries} entries appended; "
        f"log size {log.size}, root {log.root_hash.hex()}"
    )


def _report_stop(progress, exc: BaseException) -> None:
    """Say what landed before an interruption or failure (each batch is signed or absent)."""
    from payproof.errors import PayproofError

    if progress.done or (isinstance(exc, PayproofError) and not progress.batches):
        return
    typer.echo(
        f"stopped: {progress.batches} batch(es), {progress.entries} entries were appended and "
        f"signed before this point (log size {progress.size}); the log is consistent. "
        "Run the same command again to append the rest: records already logged are skipped.",
        err=True,
    )


@app.command()
def checkpoint(log_dir: Path = typer.Argument(...)) -> None:
    """Print the log's latest signed checkpoint after verifying it."""
    from payproof.ledger.storage import Log

    log = Log.open(log_dir)
    typer.echo(log.signed_checkpoint().raw, nl=False)


@app.command()
def receipt(
    log_dir: Path = typer.Argument(...),
    record_id: str = typer.Argument(..., help="payment_id, receipt_id, grievance_id, or f:p"),
    out: Path = typer.Option(..., help="Receipt file to write (JSON)."),
    tlog_proof: Path = typer.Option(None, help="Also write the bare .tlog-proof file here."),
) -> None:
    """Write a beneficiary's receipt: tlog-proof + entry + the salts that open it."""
    from payproof.ledger.receipt import make_receipt
    from payproof.ledger.storage import Log

    r = make_receipt(Log.open(log_dir), record_id)
    out.write_text(json.dumps(r, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if tlog_proof:
        tlog_proof.write_text(r["tlog_proof"], encoding="utf-8")
    typer.echo(f"receipt for entry #{r['index']} written to {out}")


@app.command("verify-receipt")
def verify_receipt_cmd(
    receipt_file: Path = typer.Argument(...),
    vkey: str = typer.Option(..., help="The log's verifier key (string or file)."),
    policy: Path = typer.Option(None, help="tlog-policy file naming trusted witnesses."),
) -> None:
    """Check a receipt offline and say in plain words what it proves."""
    from payproof.ledger.policy import load_policy
    from payproof.ledger.receipt import load_receipt, verify_receipt

    pol = load_policy(policy) if policy else None
    verdict = verify_receipt(load_receipt(receipt_file), _vkey(vkey), pol)
    typer.echo(verdict.explain())


@app.command("verify-page")
def verify_page_cmd(
    log_dir: Path = typer.Argument(..., help="The log folder (or a mirror of it, with --vkey)."),
    out: Path = typer.Option(..., "--out", help="The HTML file to write."),
    vkey: str = typer.Option(None, help="Verifier key (default: the log's own record)."),
) -> None:
    """Write a static page that verifies receipts in the browser, offline, with the log's key."""
    from payproof.ledger.verify_page import write_verify_page

    path = write_verify_page(log_dir, out, vkey=_vkey(vkey).vkey if vkey else None)
    typer.echo(f"verification page written to {path}; it makes no network request")


@app.command()
def audit(
    log_dir: Path = typer.Argument(..., help="A log folder, or a mirror of its public files."),
    vkey: str = typer.Option(None, help="Verifier key (default: the log's own record)."),
    policy: Path = typer.Option(None, help="tlog-policy file for checking cosignatures."),
) -> None:
    """Recompute every entry, tile and the root; name exactly what was altered, and every
    record logged more than once."""
    from payproof.errors import VerificationError
    from payproof.ledger.audit import audit_log
    from payproof.ledger.policy import load_policy

    key = _vkey(vkey).vkey if vkey else None
    rep = audit_log(log_dir, key, load_policy(policy) if policy else None)
    typer.echo(rep.summary())
    if not rep.ok:
        raise VerificationError("the log failed its audit", where=str(log_dir))


@app.command("prove-inclusion")
def prove_inclusion(log_dir: Path = typer.Argument(...), index: int = typer.Argument(...)) -> None:
    """Print a c2sp.org/tlog-proof for entry INDEX at the current checkpoint."""
    from payproof.ledger.receipt import TlogProof
    from payproof.ledger.storage import Log

    log = Log.open(log_dir)
    cp = log.signed_checkpoint().raw
    typer.echo(TlogProof(index, log.inclusion_proof(index), cp).serialize(), nl=False)


@app.command("prove-consistency")
def prove_consistency(log_dir: Path = typer.Argument(...), old_size: int = typer.Argument(...)):
    """Print the consistency proof (base64 lines) from OLD_SIZE to the current size."""
    from payproof.ledger.storage import Log

    for h in Log.open(log_dir).consistency_proof(old_size):
        typer.echo(base64.b64encode(h).decode())


@app.command()
def cosign(
    log_dir: Path = typer.Argument(...),
    policy: Path = typer.Option(..., help="tlog-policy file with witness URLs."),
) -> None:
    """Ask the policy's witnesses to cosign the current checkpoint and publish their lines."""
    from payproof.ledger.policy import load_policy
    from payproof.ledger.storage import Log
    from payproof.ledger.witness import gather_cosignatures

    with Log.open(log_dir) as log:
        log.lock()  # one writer at a time, also for adding cosignatures
        _, results = gather_cosignatures(log, load_policy(policy))
    for name, msg in results.items():
        typer.echo(f"{name}: {msg}")


def _witness(state: Path, key: Path, log_vkeys: list[str]):
    from payproof.ledger.note import CosignatureSigner
    from payproof.ledger.witness import Witness

    s = _signer(key)
    return Witness(state, CosignatureSigner(s.name, s.seed), [_vkey(v) for v in log_vkeys])


@witness_app.command("add-checkpoint")
def witness_add(
    request: Path = typer.Argument(..., help="An add-checkpoint request body file."),
    state: Path = typer.Option(..., help="The witness's state folder."),
    key: Path = typer.Option(..., help=KEY_HELP),
    log_vkey: list[str] = typer.Option(..., help="Verifier key of a log to witness."),
) -> None:
    """Process one add-checkpoint request; print the cosignature or the refusal."""
    from payproof.errors import VerificationError

    r = _witness(state, key, log_vkey).add_checkpoint(request.read_bytes())
    if r.status != 200:
        raise VerificationError(f"witness refused (HTTP {r.status}): {r.body.decode().strip()}")
    typer.echo(r.body.decode(), nl=False)


@witness_app.command("serve")
def witness_serve(
    state: Path = typer.Option(...),
    key: Path = typer.Option(..., help=KEY_HELP),
    log_vkey: list[str] = typer.Option(...),
    port: int = typer.Option(8080),
    host: str = typer.Option("127.0.0.1", help="Bind address (put TLS in front in production)."),
) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness)."""
    from payproof.ledger.witness import serve

    server = serve(_witness(state, key, log_vkey), port, host)
    typer.echo(f"witness listening on http://{host}:{server.server_address[1]}/add-checkpoint")
    try:
        server.serve_forever()
    finally:
        server.server_close()
