"""pytest-django on SQLite, or on PostgreSQL when PAYPROOF_TEST_POSTGRES holds a URL.

The settings read a data folder from the environment; it is set here, before pytest-django
starts Django, to a temporary folder of the session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("django")

_DATA = Path(tempfile.mkdtemp(prefix="payproof-portal-test-"))
atexit.register(shutil.rmtree, _DATA, True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payproof.portal.settings")
os.environ["PAYPROOF_PORTAL_DIR"] = str(_DATA)
os.environ["PAYPROOF_SMS"] = "file"
os.environ["PAYPROOF_PORTAL_HTTP"] = "1"  # the test client speaks plain HTTP
if url := os.environ.get("PAYPROOF_TEST_POSTGRES"):
    os.environ["PAYPROOF_DATABASE_URL"] = url

import django  # noqa: E402

django.setup()  # pytest-django started before this conftest set the environment

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from tests.portal.browsing import artefacts, browser  # noqa: E402, F401  (Chromium fixtures)

FAMILIES = [
    # family_id, IIN, phone, months: (period, E, D, R|None, status)  (tenge)
    (
        "F1",
        "900101300111",
        "+77010000001",
        [
            ("2022-01", 46760, 46760, 46760, "ok"),
            ("2022-02", 46760, 0, None, "unpaid"),
            ("2022-03", 46760, 46760, 32732, "skimmed"),
        ],
    ),
    (
        "F2",
        "880202400222",
        "+77010000002",
        [
            ("2022-01", 58450, 58450, 0, "diverted"),
            ("2022-02", 58450, 58450, None, "unverified"),
        ],
    ),
    ("F3", "870303500333", "", [("2022-01", 46760, 46760, 46760, "ok")]),
]


def write_audit(folder: Path, families=FAMILIES, scale: int = 1) -> Path:
    """A minimal audit output: findings.parquet, offices.csv and the store's families table."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for fid, _, _, months in families:
        for period, e, d, r, status in months:
            delivered = r if r is not None else d
            rows.append(
                {
                    "family_id": fid,
                    "period": period,
                    "office_id": "O01",
                    "entitled": e * scale,
                    "disbursed": d * scale,
                    "received": None if r is None else r * scale,
                    "owed": max(e - delivered, 0) * scale,
                    "status": status,
                }
            )
    dec = pa.decimal128(18, 2)
    schema = pa.schema(
        [
            ("family_id", pa.string()),
            ("period", pa.string()),
            ("office_id", pa.string()),
            ("entitled", dec),
            ("disbursed", dec),
            ("received", dec),
            ("owed", dec),
            ("status", pa.string()),
        ]
    )
    for row in rows:
        for c in ("entitled", "disbursed", "received", "owed"):
            row[c] = None if row[c] is None else Decimal(row[c])
    t = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(t, folder / "findings.parquet")
    (folder / "offices.csv").write_text("office_id,name\nO01,Turkistan district office\n")
    store = folder / "payproof.duckdb"
    store.unlink(missing_ok=True)
    con = duckdb.connect(str(store))
    con.execute(
        "CREATE TABLE families (family_id VARCHAR, mother_id VARCHAR, phone VARCHAR,"
        " district VARCHAR)"
    )
    for fid, iin, phone, _ in families:
        con.execute("INSERT INTO families VALUES (?, ?, ?, 'Turkistan')", [fid, iin, phone or None])
    con.close()
    return folder


@pytest.fixture(autouse=True)
def _portal_setup(settings, tmp_path):
    """Fresh data folder per test: outbox, ledger, uploads; generous rates unless a test lowers."""
    settings.SMS_OUTBOX = tmp_path / "outbox"
    settings.LEDGER_DIR = tmp_path / "ledger"
    settings.LEDGER_KEY = tmp_path / "keys" / "ledger.key"
    settings.PRIVATE_MEDIA = tmp_path / "uploads"
    settings.PORTAL_RATES = {k: "1000/h" for k in settings.PORTAL_RATES}
    settings.LANGUAGE_CODE = "en"  # pages in English unless a test asks for kk or ru
    yield


@pytest.fixture
def loaded(db, tmp_path, django_db_setup):
    """The three families loaded and the ledger created."""
    from django.core.cache import cache

    from payproof.portal.load import load_audit
    from payproof.portal.setup import prepare_ledger

    cache.clear()  # rate-limit counters of earlier tests

    load_audit(write_audit(tmp_path / "audit"))
    return prepare_ledger()


def sign_in(client, iin: str, outbox: Path, phone: str) -> None:
    from payproof.portal.sms import latest_code

    r = client.post("/signin/", {"iin": iin})
    assert r.status_code == 302
    code = latest_code(outbox, phone)
    assert code is not None
    r = client.post("/signin/code/", {"code": code})
    assert r.status_code == 302 and r["Location"] == "/statement/", r.content[:500]


@pytest.fixture
def mother(client, loaded, settings):
    sign_in(client, "900101300111", settings.SMS_OUTBOX, "+77010000001")
    return client
