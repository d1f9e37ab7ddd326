"""Each audit status of a month in plain words for the mother, and what she may complain of."""

from django.utils.translation import gettext_lazy as _

PLAIN = {
    "ok": _("Paid in full"),
    "unpaid": _("Never paid"),
    "diverted": _("Paid out but not received"),
    "skimmed": _("Received less than was paid out"),
    "underpaid": _("Paid out less than you were entitled to"),
    "unverified": _("No evidence yet that it reached you"),
    "overpaid": _("Paid out more than you were entitled to"),
    "paid_not_entitled": _("Paid out although no entitlement is recorded"),
    "undocumented_receipt": _("Received, but no payment is recorded"),
}

# the grievance category a "This is wrong" on a month of this status opens with
CATEGORY_FOR = {
    "unpaid": "not_paid",
    "diverted": "not_paid",
    "underpaid": "partial_payment",
    "skimmed": "partial_payment",
}

STATE_WORDS = {
    "received": _("Received and logged"),
    "under_review": _("Under review"),
    "resolved": _("Resolved"),
    "rejected": _("Closed without action"),
}


def plain(status: str) -> str:
    return PLAIN.get(status, status)
