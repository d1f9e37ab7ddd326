"""Filing a grievance (signed in, or anonymously), its receipt, and the list with history.

Filing is one transaction around the ledger append: the row is written, the entry is
appended durably (signed checkpoint), the receipt stored, and only then committed. If the
ledger append fails the grievance is not saved and she is asked to try again: a grievance
the portal shows is always on the log.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from payproof.errors import PayproofError
from payproof.portal.forms import FollowForm, GrievanceForm
from payproof.portal.ledger_link import append_grievance, verifier_key
from payproof.portal.models import Grievance, GrievanceStatus
from payproof.portal.views.common import rate, viewing

log = logging.getLogger("payproof.portal")
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on a phone


def new_tracking() -> str:
    return "G-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


def _save_photo(upload) -> str:
    folder = settings.PRIVATE_MEDIA
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(16) + upload.payproof_ext
    with open(folder / name, "xb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    (folder / name).chmod(0o600)
    return name


def file_grievance(data: dict, family=None, helper=None, secret: str | None = None) -> Grievance:
    """Save, append to the ledger and keep the receipt, all or nothing."""
    photo = _save_photo(data["photo"]) if data.get("photo") else ""
    try:
        return _file(data, photo, family, helper, secret)
    except BaseException:
        if photo:
            (settings.PRIVATE_MEDIA / photo).unlink(missing_ok=True)
        raise


def _file(data: dict, photo: str, family, helper, secret: str | None) -> Grievance:
    with transaction.atomic():
        g = Grievance.objects.create(
            tracking=new_tracking(),
            family=family,
            category=data["category"],
            period=data.get("period") or "",
            amount_claimed=data.get("amount"),
            staff_named=data.get("staff_named") or "",
            description=data.get("description") or "",
            photo=photo,
            anonymous_secret=make_password(secret) if secret else "",
            filed_by_helper=helper,
        )
        GrievanceStatus.objects.create(grievance=g, state="received")
        g.receipt = append_grievance(g)
        g.ledger_index = g.receipt["index"]
        g.save(update_fields=["receipt", "ledger_index"])
    return g


def _try_filing(request, form, **kwargs) -> Grievance | None:
    """File; if the ledger cannot be written, nothing is kept and the form says so."""
    try:
        return file_grievance(form.cleaned_data, **kwargs)
    except (OSError, PayproofError):
        log.exception("a grievance could not be appended to the ledger; nothing was saved")
        form.add_error(
            None,
            _(
                "Your complaint could not be logged just now, so nothing was saved. "
                "Please send it again in a few minutes."
            ),
        )
        return None


def _initial(request, family) -> dict:
    period = request.GET.get("period", "")
    initial = {"category": request.GET.get("category", "other"), "period": period}
    s = family.statements.filter(period=period).first() if family and period else None
    if s is not None and s.owed:
        initial["amount"] = f"{s.owed // 100}.{s.owed % 100:02d}"
    return initial


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("file_ip"), method="POST", block=True)
def new(request):
    family, consent = viewing(request, "grievance_form")
    if request.method == "POST":
        form = GrievanceForm(request.POST, request.FILES)
        if form.is_valid():
            helper = consent.helper if consent else None
            g = _try_filing(request, form, family=family, helper=helper)
            if g is not None:
                return redirect("portal:grievance", tracking=g.tracking)
    else:
        form = GrievanceForm(initial=_initial(request, family))
    return render(request, "portal/grievance_form.html", {"form": form, "anonymous": False})


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("file_ip"), method="POST", block=True)
def anonymous(request):
    form = GrievanceForm(request.POST or None, request.FILES or None)
    secret = secrets.token_hex(4).upper()
    g = None
    if request.method == "POST" and form.is_valid():
        g = _try_filing(request, form, secret=secret)
    if g is not None:
        request.session[f"anon:{g.tracking}"] = True
        return render(
            request,
            "portal/anonymous_done.html",
            {"g": g, "secret": secret, "vkey": verifier_key()},
        )
    return render(request, "portal/grievance_form.html", {"form": form, "anonymous": True})


def _own(request, tracking: str, what: str = "grievance") -> Grievance:
    """Her own grievance, or one she filed anonymously in this session / opened with the code."""
    g = Grievance.objects.filter(tracking=tracking).first()
    if g is None:
        raise Http404
    if g.family_id is None:
        if request.session.get(f"anon:{tracking}"):
            return g
        raise Http404
    family, _ = viewing(request, what)
    if g.family_id != family.pk:
        raise Http404  # another family's grievance: same answer as a missing one
    return g


def mine(request):
    family, _ = viewing(request, "grievance_list")
    items = family.grievances.prefetch_related("history")
    return render(request, "portal/grievances.html", {"items": items})


def detail(request, tracking: str):
    g = _own(request, tracking)
    return render(
        request,
        "portal/grievance.html",
        {"g": g, "vkey": verifier_key(), "history": g.history.all()},
    )


def receipt(request, tracking: str):
    g = _own(request, tracking, "receipt")
    body = json.dumps(g.receipt, indent=1, ensure_ascii=False) + "\n"
    resp = HttpResponse(body, content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="payproof-receipt-{g.tracking}.json"'
    return resp


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("follow_ip"), method="POST", block=True)
def follow(request):
    form = FollowForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        tracking = form.cleaned_data["tracking"].strip().upper()
        g = Grievance.objects.filter(tracking=tracking, family=None).first()
        # the same check time whether the number exists or not
        stored = g.anonymous_secret if g else make_password("not-a-secret")
        if check_password(form.cleaned_data["secret"].strip().upper(), stored) and g:
            request.session[f"anon:{tracking}"] = True
            return redirect("portal:grievance", tracking=tracking)
        failed = True
    return render(request, "portal/follow.html", {"form": form, "failed": failed})
