"""A tamper-evident public log (RFC 6962 Merkle tree, C2SP checkpoints and tiles)."""
