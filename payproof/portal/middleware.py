"""Small request/response and logging guards: no caching of personal pages, no IINs in logs."""

from __future__ import annotations

import logging
import re

# 10 or more digits in a row: an IIN (12), a phone number, an account.
_LONG_NUMBER = re.compile(r"\+?\d[\d ()-]{8,}\d")


class NoStoreMiddleware:
    """Every page may carry personal data: never keep it in a shared or browser cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def redact(text: str) -> str:
    return _LONG_NUMBER.sub("[number]", text)


class RedactFilter(logging.Filter):
    """Blank long numbers in log messages so an IIN or phone never lands in a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.getMessage()))
        record.args = ()
        return True
