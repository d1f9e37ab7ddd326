"""Home, the stylesheet, the health check and the static receipt-verification page."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control

from payproof.portal.ledger_link import verifier_key

CSS = Path(__file__).resolve().parent.parent / "static" / "portal.css"


def home(request):
    return render(request, "portal/home.html")


@cache_control(public=True, max_age=86400)
def stylesheet(request):
    return HttpResponse(CSS.read_bytes(), content_type="text/css; charset=utf-8")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@csp_replace(
    {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"], "img-src": ["data:"]}
)
def verify_page(request):
    """The ledger's self-contained verification page (payproof.ledger.verify_page), if built,
    in the language the mother chose on the portal."""
    try:
        mod = importlib.import_module("payproof.ledger.verify_page")
    except ImportError as exc:
        raise Http404 from exc
    with tempfile.TemporaryDirectory() as tmp:
        out = mod.write_verify_page(
            settings.LEDGER_DIR, Path(tmp) / "verify.html", lang=get_language()
        )
        return HttpResponse(Path(out).read_bytes(), content_type="text/html; charset=utf-8")


def vkey(request):
    return HttpResponse(verifier_key() + "\n", content_type="text/plain; charset=utf-8")
