"""Turn a database URL (``postgresql://user:pw@host:port/db`` or a SQLite path) into Django's
DATABASES entry. Two schemes only: what the portal is tested on."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from payproof.errors import InputError


def database_config(url: str | None, default_sqlite: Path) -> dict:
    """Django's ``DATABASES['default']`` for ``url`` (None: SQLite at ``default_sqlite``)."""
    if not url:
        return _sqlite(default_sqlite)
    parts = urlsplit(url)
    if parts.scheme in ("sqlite", "sqlite3"):
        return _sqlite(Path(unquote(parts.path)))
    if parts.scheme in ("postgres", "postgresql"):
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "ATOMIC_REQUESTS": False,
        }
    raise InputError(
        f"unsupported database URL scheme {parts.scheme!r}",
        fix="use postgresql://user:password@host:port/name or sqlite:///path/portal.sqlite3",
    )


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL and a busy timeout: gunicorn workers (or the dev server's threads) share the file.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
