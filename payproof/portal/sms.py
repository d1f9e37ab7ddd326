"""Pluggable SMS senders for one-time codes: console, file outbox (demo, tests), HTTP gateway.

The code is the only personal data a message carries besides the phone number; neither is
ever written to the application log (the console sender prints to the terminal on purpose:
it is the demo's phone).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _


def message(code: str) -> str:
    return _("payproof code: %(code)s. Valid for 5 minutes. Do not tell it to anyone.") % {
        "code": code
    }


def send_code(phone: str, code: str) -> None:
    """Send ``code`` to ``phone`` with the configured backend."""
    backend = settings.SMS_BACKEND
    text = message(code)
    if backend == "console":
        print(f"[SMS to {phone}] {text}", file=sys.stdout, flush=True)
    elif backend == "file":
        write_outbox(settings.SMS_OUTBOX, phone, code, text)
    elif backend == "http":
        _send_http(phone, text)
    else:
        raise RuntimeError(f"unknown PAYPROOF_SMS backend {backend!r}")


def _box(outbox: Path, phone: str) -> Path:
    """One folder per phone (named by a digest, not the number), so reading is cheap."""
    return outbox / hashlib.sha256(phone.encode()).hexdigest()[:20]


def write_outbox(outbox: Path, phone: str, code: str, text: str) -> Path:
    """One JSON file per message, written atomically; tests and the demo read the newest."""
    box = _box(outbox, phone)
    box.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}.json"
    tmp = box / f".{name}"
    tmp.write_text(json.dumps({"to": phone, "code": code, "text": text}), encoding="utf-8")
    os.replace(tmp, box / name)
    return box / name


def latest_code(outbox: Path, phone: str) -> str | None:
    """The newest code sent to ``phone`` in a file outbox (for tests and the demo)."""
    box = _box(outbox, phone)
    files = sorted(box.glob("*.json")) if box.exists() else []
    if not files:
        return None
    return json.loads(files[-1].read_text(encoding="utf-8"))["code"]


def _send_http(phone: str, text: str) -> None:
    """POST {"to", "text"} as JSON with a bearer token to the gateway; 2xx means sent."""
    req = urllib.request.Request(
        settings.SMS_HTTP_URL,
        data=json.dumps({"to": phone, "text": text}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
        },
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (configured URL)
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"SMS gateway answered {resp.status}")
