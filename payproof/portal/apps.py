"""The portal's Django app."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "payproof.portal"
    label = "portal"
    verbose_name = "payproof portal"
    default_auto_field = "django.db.models.BigAutoField"
