"""Assisted mode: a service-point clerk or NGO volunteer helps a mother, with her consent.

The helper signs in with a password and the code of her authenticator app (a Django user
in the ``helpers`` group with a django-otp TOTP device), enters the
mother's IIN; a code goes to the mother's phone and the mother reads it out: that, and the
helper ticking that she agrees, is the consent, recorded with the place. Every page the
helper then opens for her is in the access log.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from payproof.portal.forms import AssistForm, ConsentForm, HelperLoginForm
from payproof.portal.models import Consent
from payproof.portal.views.common import is_helper, rate
from payproof.portal.views.signin import send_code_for, verify_code


@method_decorator(
    ratelimit(key="ip", rate=rate("helper_ip"), method="POST", block=True), name="post"
)
class HelperLogin(auth_views.LoginView):
    template_name = "portal/helper_login.html"
    authentication_form = HelperLoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        otp_login(self.request, form.otp_device)  # verified by the second factor
        return response

    def get_success_url(self):
        return "/helper/"


def _helper(request):
    if not is_helper(request.user):
        raise PermissionDenied
    return request.user


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("code_ip"), method="POST", block=True)
def start(request):
    _helper(request)
    form = AssistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        send_code_for(form.cleaned_data["iin"])
        request.session["assist_iin"] = form.cleaned_data["iin"]
        request.session["assist_place"] = form.cleaned_data["place"]
        request.session.pop("assist_consent", None)
        return redirect("portal:helper_consent")
    return render(request, "portal/helper_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("verify_ip"), method="POST", block=True)
def consent(request):
    helper = _helper(request)
    iin = request.session.get("assist_iin")
    if not iin:
        return redirect("portal:helper")
    form = ConsentForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        device = verify_code(iin, form.cleaned_data["code"])
        if device is not None:
            c = Consent.objects.create(
                helper=helper,
                family=device.user.family,
                place=request.session.get("assist_place", ""),
            )
            request.session["assist_consent"] = c.pk
            request.session.pop("assist_iin", None)
            return redirect("portal:statement")
        failed = True
    return render(request, "portal/helper_consent.html", {"form": form, "failed": failed})


@require_POST
def done(request):
    _helper(request)
    request.session.pop("assist_consent", None)
    return redirect("portal:helper")
