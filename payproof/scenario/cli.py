"""``payproof generate`` (owned by the scenario package)."""

from __future__ import annotations

from pathlib import Path

import typer


def generate(out: Path = typer.Argument(..., help="Folder to write the scenario into.")) -> None:
    """Write a synthetic programme with injected fraud and its ground truth."""
    raise NotImplementedError("scenario generator: in progress")
