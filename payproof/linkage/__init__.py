"""payproof.linkage."""
