"""Sign-in with the IIN and a one-time code sent to the phone on the registry.

Whatever the IIN, the answer is the same page ("if this IIN is registered, a code was
sent"), so the form cannot tell anyone who is registered. Requests and attempts are
rate-limited per address and per IIN (django-ratelimit, shared cache); a device also
doubles its delay after each wrong code (django-otp's throttling) and codes expire.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, login, logout
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from payproof.portal.forms import CodeForm, IINForm
from payproof.portal.models import Family, SMSDevice
from payproof.portal.views.common import rate


def _pending_iin(group, request) -> str:
    return request.session.get("signin_iin", "") or "none"


def device_for(family: Family) -> SMSDevice:
    """The family's sign-in device (and its Django user), created on first use."""
    with transaction.atomic():
        if family.user_id is None:
            user = get_user_model().objects.create_user(username=f"family-{family.pk}")
            user.set_unusable_password()
            user.save()
            family.user = user
            family.save(update_fields=["user"])
        device, _ = SMSDevice.objects.get_or_create(
            user_id=family.user_id, defaults={"name": "registry phone"}
        )
    return device


def send_code_for(iin: str) -> None:
    """Send a code to each registry phone of the families with this IIN; nothing otherwise.

    An IIN on several families (a duplicate registration the audit flags) gets a code on
    each family's phone: whoever holds a phone signs in to that phone's family only.
    """
    for family in Family.objects.filter(iin=iin).exclude(phone="").order_by("pk"):
        device_for(family).generate_challenge()


def verify_code(iin: str, code: str) -> SMSDevice | None:
    """The device (family) whose pending code this is, or None; a wrong code counts against
    every device of the IIN (django-otp's doubling delay)."""
    devices = list(SMSDevice.objects.filter(user__family__iin=iin).order_by("pk"))
    for device in devices:
        if device.token is not None and constant_time_compare(device.token, code):
            return device if device.verify_token(code) else None
    for device in devices:
        device.verify_token(code)  # fails: records the attempt
    return None


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("code_ip"), method="POST", block=True)
@ratelimit(key="post:iin", rate=rate("code_iin"), method="POST", block=True)
def signin(request):
    form = IINForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        iin = form.cleaned_data["iin"]
        send_code_for(iin)
        request.session["signin_iin"] = iin
        return redirect("portal:code")
    return render(request, "portal/signin.html", {"form": form})


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=rate("verify_ip"), method="POST", block=True)
@ratelimit(key=_pending_iin, rate=rate("verify_iin"), method="POST", block=True)
def code(request):
    iin = request.session.get("signin_iin")
    if not iin:
        return redirect("portal:signin")
    form = CodeForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        device = verify_code(iin, form.cleaned_data["code"])
        if device is not None:
            request.session.cycle_key()
            login(request, device.user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            request.session.pop("signin_iin", None)
            return redirect("portal:statement")
        failed = True
    return render(request, "portal/code.html", {"form": form, "failed": failed})


@require_POST
def signout(request):
    logout(request)
    return redirect("portal:home")
