"""The mother's statement: each month in plain words, the amounts, and what is still owed."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from payproof.portal.fmt import parse_money
from payproof.portal.models import AuditRun, Confirmation
from payproof.portal.views.common import rate, viewing
from payproof.portal.words import CATEGORY_FOR, plain


def statement(request):
    family, consent = viewing(request, "statement")
    months = []
    for s in family.statements.all():
        months.append(
            {
                "s": s,
                "words": plain(s.status),
                "good": s.status == "ok",
                "category": CATEGORY_FOR.get(s.status, "other"),
                "tenge": f"{s.disbursed // 100}.{s.disbursed % 100:02d}",
            }
        )
    run = AuditRun.objects.filter(current=True).first()
    return render(
        request,
        "portal/statement.html",
        {
            "family": family,
            "months": months,
            "run": run,
            "consent": consent,
            "confirmed": request.GET.get("confirmed", ""),
        },
    )


@require_POST
@ratelimit(key="ip", rate=rate("file_ip"), method="POST", block=True)
def confirm(request):
    """She says what reached her for a month: exported as a beneficiary confirmation."""
    family, _ = viewing(request, "confirmation")
    period = request.POST.get("period", "")
    try:
        amount = parse_money(request.POST.get("amount", ""))
    except (ValueError, ArithmeticError):
        amount = None
    if amount is None or not family.statements.filter(period=period).exists():
        return HttpResponseBadRequest("bad confirmation")
    Confirmation.objects.create(family=family, period=period, amount=amount)
    return redirect(reverse("portal:statement") + f"?confirmed={period}#m-{period}")
