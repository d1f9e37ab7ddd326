"""Start Django for a data folder and a database, and bring the schema up to date."""

from __future__ import annotations

import os
from pathlib import Path


def configure(data_dir: Path, database: str | None = None, *, http_dev: bool = False) -> None:
    """Point the settings at ``data_dir`` (and ``database``), then ``django.setup()``.

    ``database`` falls back to ``PAYPROOF_DATABASE_URL``, then to SQLite in ``data_dir``.
    """
    import django

    os.environ["PAYPROOF_PORTAL_DIR"] = str(Path(data_dir).resolve())
    if database:
        os.environ["PAYPROOF_DATABASE_URL"] = database
    if http_dev:
        os.environ["PAYPROOF_PORTAL_HTTP"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payproof.portal.settings")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    django.setup()


def migrate() -> None:
    """Apply migrations and create the rate-limit cache table (both idempotent)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def prepare_ledger() -> str:
    """The ledger grievances go to; created with a fresh key on first use. Returns its vkey."""
    from django.conf import settings

    from payproof.portal.ledger_link import ensure_log

    return ensure_log(settings.LEDGER_DIR, settings.LEDGER_KEY)
