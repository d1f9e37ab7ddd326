"""The portal's tables: families and their statements (loaded from an audit), sign-in devices,
grievances with their status history and ledger receipts, helpers' consents and the access log.

Money is integer tiyn throughout. Statements are replaced wholesale when a newer audit is
loaded; families are updated in place and grievances are never touched by a load.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_otp.models import CooldownMixin, SideChannelDevice, ThrottlingMixin

CATEGORIES = ("not_paid", "partial_payment", "bribe_demanded", "wrongly_excluded", "other")
GRIEVANCE_STATES = ("received", "under_review", "resolved", "rejected")


class AuditRun(models.Model):
    """One audit whose statements are (or were) loaded."""

    run_id = models.CharField(max_length=80, unique=True)
    finished_at = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=500, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=False)


class Family(models.Model):
    """A registered family: the mother's IIN and the phone on the registry sign her in."""

    family_id = models.CharField(max_length=64, unique=True)
    iin = models.CharField(max_length=32, db_index=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    district = models.CharField(max_length=120, blank=True)
    total_owed = models.BigIntegerField(default=0)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )


class Statement(models.Model):
    """One family-month of the current audit: entitled, paid out, received, owed (tiyn)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="statements")
    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE)
    period = models.CharField(max_length=7)
    entitled = models.BigIntegerField()
    disbursed = models.BigIntegerField()
    received = models.BigIntegerField(null=True)
    owed = models.BigIntegerField()
    status = models.CharField(max_length=32)
    office_id = models.CharField(max_length=64, blank=True)
    office_name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "period"], name="one_statement_a_month")
        ]
        ordering = ["period"]


class SMSDevice(ThrottlingMixin, CooldownMixin, SideChannelDevice):
    """django-otp device that sends its code to the family's registry phone."""

    def get_throttle_factor(self) -> int:
        return settings.OTP_THROTTLE_FACTOR

    def get_cooldown_duration(self) -> int:
        return settings.OTP_COOLDOWN_SECONDS

    def generate_challenge(self, extra_context=None):
        from payproof.portal.sms import send_code

        allowed, _ = self.generate_is_allowed()
        if not allowed:
            return None
        self.generate_token(valid_secs=settings.OTP_CODE_VALID_SECONDS, commit=False)
        self.cooldown_set(commit=False)
        self.save()
        send_code(self.user.family.phone, self.token)
        return "sent"

    def verify_token(self, token):
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        ok = super().verify_token(token)
        if ok:
            self.throttle_reset()
            self.cooldown_reset()
        else:
            self.throttle_increment()
        return ok


class Grievance(models.Model):
    """A complaint, logged on the ledger (commitments only) the moment it is filed."""

    tracking = models.CharField(max_length=20, unique=True)
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.PROTECT, related_name="grievances"
    )
    category = models.CharField(max_length=32)
    period = models.CharField(max_length=7, blank=True)
    amount_claimed = models.BigIntegerField(null=True, blank=True)
    staff_named = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    photo = models.CharField(max_length=200, blank=True)  # file name under PRIVATE_MEDIA
    filed_at = models.DateTimeField(auto_now_add=True)
    anonymous_secret = models.CharField(max_length=200, blank=True)  # a password hash
    filed_by_helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    ledger_index = models.BigIntegerField(null=True)
    receipt = models.JSONField(null=True)

    class Meta:
        ordering = ["-filed_at"]


class GrievanceStatus(models.Model):
    """One step of a grievance's history (received, under review, resolved, rejected)."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="history")
    state = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class Confirmation(models.Model):
    """A mother's own word on a month: she received this much (exported as a receipt)."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="confirmations")
    period = models.CharField(max_length=7)
    amount = models.BigIntegerField()
    confirmed_at = models.DateTimeField(auto_now_add=True)


class Consent(models.Model):
    """A mother's consent to be helped by a clerk or volunteer (she read out her code)."""

    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    family = models.ForeignKey(Family, on_delete=models.PROTECT)
    given_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=40, default="sms_code_read_out")
    place = models.CharField(max_length=200, blank=True)


class AccessLog(models.Model):
    """Every view of a family's personal data by anyone but the mother herself: a helper
    (``viewer``, with her ``consent``) or an operator's command (``operator``, its name)."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    operator = models.CharField(max_length=150, blank=True)
    family = models.ForeignKey(Family, on_delete=models.PROTECT)
    what = models.CharField(max_length=80)
    at = models.DateTimeField(auto_now_add=True)
    consent = models.ForeignKey(Consent, null=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(viewer__isnull=False) | ~models.Q(operator=""),
                name="access_has_a_viewer",
            )
        ]
