"""Helper accounts (service-point clerks, NGO volunteers) for assisted mode: a password and
a TOTP key for an authenticator app (django-otp), both needed to sign in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from payproof.errors import InputError
from payproof.portal.views.common import HELPERS_GROUP


def create_helper(username: str, password: str) -> tuple[object, TOTPDevice]:
    """The helper's account and her authenticator key (give her ``device.config_url``)."""
    validate_password(password)
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password=password)
        group, _ = Group.objects.get_or_create(name=HELPERS_GROUP)
        user.groups.add(group)
        return user, issue_totp(user)


def issue_totp(user) -> TOTPDevice:
    """A fresh TOTP key for the helper; any earlier key stops working."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)


def reissue_totp(username: str) -> TOTPDevice:
    user = get_user_model().objects.filter(username=username, groups__name=HELPERS_GROUP).first()
    if user is None:
        raise InputError(
            f"no helper {username!r}", fix="create one with payproof portal add-helper"
        )
    with transaction.atomic():
        return issue_totp(user)
