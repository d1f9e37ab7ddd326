"""payproof: prove where social-benefit money went.

Audit (ingest -> rules -> reconcile -> report), a tamper-evident ledger, and
ghost-beneficiary detection. See README.md and docs/.
"""

__version__ = "0.1.0"
