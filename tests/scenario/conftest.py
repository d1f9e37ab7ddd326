"""One small scenario shared by the scenario tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from payproof.scenario.config import ScenarioConfig
from payproof.scenario.generate import generate_scenario

SMALL = ScenarioConfig(families=2000, format="both", with_entitlements=True, bad_rows=12)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("scenario")
    summary = generate_scenario(out, SMALL)
    return out, summary


@pytest.fixture(scope="session")
def small() -> ScenarioConfig:
    return SMALL
