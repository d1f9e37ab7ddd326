"""payproof.rules: programme rules as effective-dated YAML, and the entitlements they give.

Public API: ``load_rules``, ``entitlement_amount``, ``child_counts``,
``compute_entitlements``; the file format is in docs/rules.md.
"""

from payproof.rules.calc import child_counts, entitlement_amount
from payproof.rules.compute import compute_entitlements, entitlement_steps
from payproof.rules.loader import DEFAULT_RULES, builtin_names, load_rules, parse_rules
from payproof.rules.model import Rules

__all__ = [
    "DEFAULT_RULES",
    "Rules",
    "builtin_names",
    "child_counts",
    "compute_entitlements",
    "entitlement_amount",
    "entitlement_steps",
    "load_rules",
    "parse_rules",
]
