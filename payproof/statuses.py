"""The statuses of a family-month, in the order the audit tests them (first match wins).

One list shared by the audit, the report and the scenario's ground truth, so they
can never disagree on the vocabulary. Definitions: docs/outputs.md.
"""

STATUSES = (
    "paid_not_entitled",
    "undocumented_receipt",
    "unpaid",
    "diverted",
    "skimmed",
    "underpaid",
    "overpaid",
    "unverified",
    "ok",
)
