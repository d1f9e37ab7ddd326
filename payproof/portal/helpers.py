"""Helper accounts (service-point clerks, NGO volunteers) for assisted mode."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password

from payproof.portal.views.common import HELPERS_GROUP


def create_helper(username: str, password: str):
    validate_password(password)
    user = get_user_model().objects.create_user(username=username, password=password)
    group, _ = Group.objects.get_or_create(name=HELPERS_GROUP)
    user.groups.add(group)
    return user
