"""Synthetic programmes in the input contract, with injected fraud and ground truth."""
