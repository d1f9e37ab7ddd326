"""The mother's statement: each month in plain words, the amounts, and what is still owed."""

from __future__ import annotations

from django.shortcuts import render

from payproof.portal.models import AuditRun
from payproof.portal.views.common import viewing
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
            }
        )
    run = AuditRun.objects.filter(current=True).first()
    return render(
        request,
        "portal/statement.html",
        {"family": family, "months": months, "run": run, "consent": consent},
    )
