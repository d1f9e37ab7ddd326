"""What every view needs: whose family is shown, who is looking, rate-limit and CSRF pages."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import get_language

from payproof.portal.access import record_view
from payproof.portal.models import Consent, Family

HELPERS_GROUP = "helpers"


def rate(name: str):
    """A django-ratelimit rate read from settings at request time (tests can lower them)."""

    def _rate(group, request):
        return settings.PORTAL_RATES[name]

    return _rate


def is_helper(user) -> bool:
    return bool(
        user.is_authenticated
        and getattr(user, "family", None) is None
        and user.groups.filter(name=HELPERS_GROUP).exists()
    )


def viewing(request, what: str) -> tuple[Family, Consent | None]:
    """The family whose data this request may show, and the consent when a helper looks.

    A mother sees only her own family (signed in with her code). A helper sees the family
    whose consent is in her session, and every such view is written to the access log.
    Anyone else gets 403.
    """
    user = request.user
    if user.is_authenticated and user.is_verified():
        fam = Family.objects.filter(user=user).first()
        if fam is not None:
            return fam, None
        if is_helper(user):
            consent_id = request.session.get("assist_consent")
            consent = (
                Consent.objects.select_related("family").filter(pk=consent_id, helper=user).first()
                if consent_id
                else None
            )
            if consent is not None:
                record_view(user, consent.family, what, consent)
                return consent.family, consent
    raise PermissionDenied


def portal_context(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated and user.is_verified())
    return {
        "lang": get_language(),
        # each language in its own name (Django's tag would translate them: "Ағылшын")
        "languages": settings.LANGUAGES,
        "signed_in": signed_in,
        "assisting": bool(request.session.get("assist_consent")) if signed_in else False,
    }


def rate_limited(request, exception=None):
    return render(request, "portal/limited.html", status=429)


def csrf_failure(request, reason=""):
    return render(request, "portal/csrf.html", status=403)


def handler_error(request, *args, **kwargs):
    return render(request, "portal/error.html", status=500)
