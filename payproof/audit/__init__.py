"""The audit: one call from a programme's input folder to findings, outputs and report."""

from payproof.audit.run import AuditResult, run_audit

__all__ = ["AuditResult", "run_audit"]
