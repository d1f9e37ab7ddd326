"""payproof's one way to write a file: beside it under a temporary name, then rename.

``os.replace`` within one folder is atomic, so a reader (or the next run) sees
the previous file or the new one, never half of one; a failed write leaves
only the previous file. Every writer in payproof goes through :func:`replacing`
(the run lifecycle then swaps whole folders of such files into place).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it becomes ``path``, else vanishes."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | Path, data: object) -> Path:
    """Write ``data`` as indented UTF-8 JSON (non-JSON values as text) atomically."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
