"""The suite runs on the database it was asked for (CI: SQLite, then real PostgreSQL)."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_runs_on_the_requested_database():
    want = "postgresql" if os.environ.get("PAYPROOF_TEST_POSTGRES") else "sqlite"
    assert connection.vendor == want
