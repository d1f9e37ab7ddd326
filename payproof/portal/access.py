"""The access log: every view of a family's personal data by anyone but the mother herself.

Two kinds of viewer: a helper in assisted mode (a Django user, with the mother's recorded
consent; one record per page) and an operator running a command that writes personal data
out (``payproof portal export``: one record per family whose data left, all written
before the file is). Each record says who, what and when in the database; the log line
that goes with it carries the record's number, the viewer and the page or command only —
never a family id, an IIN, a name or a phone.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Iterable

log = logging.getLogger("payproof.portal.access")


def operator_name(given: str | None = None) -> str:
    """Who runs an operator command: ``--operator``, else ``$PAYPROOF_OPERATOR``, else the
    login name on this machine (``user@host``)."""
    name = given or os.environ.get("PAYPROOF_OPERATOR")
    if not name:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
        name = f"{user}@{socket.gethostname()}"
    return name[:150]


def record_view(viewer, family, what: str, consent=None):
    """A helper opened a page of this family's data (with her consent)."""
    from payproof.portal.models import AccessLog

    entry = AccessLog.objects.create(viewer=viewer, family=family, what=what, consent=consent)
    log.info("access #%s: helper %s viewed %s", entry.pk, viewer.username, what)
    return entry


def record_operator_access(operator: str, what: str, family_pks: Iterable[int]) -> int:
    """An operator's command exposed these families' data: one record each; returns how many."""
    from payproof.portal.models import AccessLog

    rows = [AccessLog(operator=operator, family_id=pk, what=what) for pk in sorted(set(family_pks))]
    AccessLog.objects.bulk_create(rows, batch_size=2000)
    log.info("access: operator %s ran %s on %d families", operator, what, len(rows))
    return len(rows)
