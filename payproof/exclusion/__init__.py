"""Exclusion error: families the rules say should be paid who were never enrolled, and
how their applications were decided (docs/audit.md, "Who was left out").

Runs only when the input has ``population`` (the civil register extract) or
``applications``; without them the audit's outputs are exactly as before.
"""

from __future__ import annotations

from payproof.exclusion.decisions import DecisionSettings, decide_applications
from payproof.exclusion.excluded import EXCLUDED_KINDS, find_excluded

__all__ = ["EXCLUDED_KINDS", "DecisionSettings", "decide_applications", "find_excluded"]
