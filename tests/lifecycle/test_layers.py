"""The layers import one way: the ghosts orchestrator and the shared layers never load the
audit (the two orchestrators used to import each other)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["payproof.linkage.run", "payproof.linkage.cli", "payproof.lifecycle.run",
     "payproof.engine.export", "payproof.ingest.rejects"],  # fmt: skip
)
def test_module_does_not_load_the_audit(module):
    code = (
        f"import sys, {module}; "
        "loaded = sorted(m for m in sys.modules if m.startswith('payproof.audit')); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
