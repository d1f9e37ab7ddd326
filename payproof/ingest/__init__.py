"""Ingest: find, stage, check and type a programme's input tables."""

from payproof.ingest.load import IngestReport, TableReport, load_input

__all__ = ["IngestReport", "TableReport", "load_input"]
