"""WSGI entry for gunicorn: ``gunicorn payproof.portal.wsgi`` with PAYPROOF_PORTAL_DIR set."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payproof.portal.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
