"""Moving a grievance along (received -> under review -> resolved / rejected), with history."""

from __future__ import annotations

from payproof.errors import InputError


def set_status(tracking: str, state: str, note: str = "") -> None:
    from payproof.portal.models import GRIEVANCE_STATES, Grievance, GrievanceStatus

    if state not in GRIEVANCE_STATES:
        raise InputError(
            f"unknown state {state!r}", fix=f"use one of {', '.join(GRIEVANCE_STATES)}"
        )
    g = Grievance.objects.filter(tracking=tracking).first()
    if g is None:
        raise InputError(f"no grievance {tracking!r}")
    GrievanceStatus.objects.create(grievance=g, state=state, note=note)
