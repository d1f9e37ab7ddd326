"""payproof.report."""
