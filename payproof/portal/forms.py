"""The portal's forms: sign-in, helper sign-in (password and TOTP), grievance (with photo
limits), anonymous follow-up."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from payproof.portal.fmt import parse_money
from payproof.portal.models import CATEGORIES

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png", b"%PDF-": ".pdf"}

CATEGORY_LABELS = {
    "not_paid": _("I was not paid"),
    "partial_payment": _("I received less than I was paid"),
    "bribe_demanded": _("Someone asked me for money"),
    "wrongly_excluded": _("I was wrongly excluded"),
    "other": _("Something else"),
}


class IINForm(forms.Form):
    iin = forms.CharField(
        label=_("Your IIN (12 digits)"),
        max_length=12,
        min_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_iin(self) -> str:
        iin = self.cleaned_data["iin"].strip()
        if not iin.isdigit():
            raise forms.ValidationError(_("An IIN has 12 digits."))
        return iin


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code from the SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class GrievanceForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What happened"),
        choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        widget=forms.RadioSelect,
    )
    period = forms.CharField(
        label=_("Month (YYYY-MM)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2022-03"}),
    )
    amount = forms.CharField(label=_("Amount in tenge"), required=False, max_length=20)
    staff_named = forms.CharField(
        label=_("Staff member (only if you wish)"), required=False, max_length=200
    )
    description = forms.CharField(
        label=_("In your own words"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photo = forms.FileField(
        label=_("Photo of a bank statement (JPEG, PNG or PDF, up to 5 MB)"), required=False
    )

    def clean_period(self) -> str:
        p = self.cleaned_data["period"].strip()
        if p and not PERIOD.match(p):
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2022-03."))
        return p

    def clean_amount(self) -> int | None:
        try:
            return parse_money(self.cleaned_data["amount"])
        except (ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(_("Write the amount in tenge, e.g. 46760.")) from exc

    def clean_photo(self):
        f = self.cleaned_data.get("photo")
        if not f:
            return None
        if f.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        head = f.read(8)
        f.seek(0)
        for magic, ext in PHOTO_TYPES.items():
            if head.startswith(magic):
                f.payproof_ext = ext
                return f
        raise forms.ValidationError(_("Only JPEG, PNG or PDF files are accepted."))


class FollowForm(forms.Form):
    tracking = forms.CharField(label=_("Tracking number"), max_length=20)
    secret = forms.CharField(label=_("Secret code"), max_length=40, widget=forms.PasswordInput)


class HelperLoginForm(AuthenticationForm):
    """A helper's password and the current code of her authenticator app (django-otp's TOTP
    device, with its throttling and no reuse of a code). A wrong password, a wrong code and
    no device get the same answer."""

    otp_token = forms.CharField(
        label=_("The 6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean(self):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        cleaned = super().clean()
        device = TOTPDevice.objects.filter(user=self.user_cache, confirmed=True).first()
        token = (cleaned.get("otp_token") or "").strip()
        if device is None or not token or not device.verify_token(token):
            raise self.get_invalid_login_error()
        self.otp_device = device
        return cleaned


class AssistForm(forms.Form):
    iin = IINForm.base_fields["iin"]
    place = forms.CharField(label=_("Service point or organisation"), max_length=200)


class ConsentForm(CodeForm):
    consent = forms.BooleanField(
        label=_("The mother agrees that I help her and see her statement"), required=True
    )
