"""payproof.ingest."""
