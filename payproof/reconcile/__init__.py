"""payproof.reconcile."""
