"""payproof.rules."""
