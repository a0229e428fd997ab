"""Shared helpers: build and run scenarios through the public API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation, SimulationResult

REPO = Path(__file__).resolve().parents[1]


def cli_input_error_before_run(monkeypatch: pytest.MonkeyPatch, module: Any, runner: str,
                               args: list[str]) -> str:
    """Invoke ``imidsim ARGS`` with ``module.runner`` replaced by a function that fails the
    test if called; check the command ends in an ``InputError`` and return its message (so a
    bad option is refused before the long work it guards starts)."""
    from typer.testing import CliRunner

    from imidsim.cli import app
    from imidsim.errors import InputError

    def never(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError(f"{runner} ran although {args} is invalid")

    monkeypatch.setattr(module, runner, never)
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0
    assert isinstance(res.exception, InputError), res.exception
    return str(res.exception)


def shared_dir() -> Path | None:
    for cand in (os.environ.get("IMIDSIM_SHARED"), REPO / "shared", REPO.parent / "shared",
                 Path("/work/shared")):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


def run(treatments: list[dict[str, Any]] | None = None, *, disease: str = "myeloma",
        days: float | None = None, interval_h: float = 1.0, patient: dict | None = None,
        parameters: dict | None = None, setting: str = "in_vivo",
        patients: dict | None = None, interventions: dict | None = None) -> SimulationResult:
    spec: dict[str, Any] = {"name": "test", "disease": disease, "setting": setting,
                            "treatments": treatments or [], "output": {"interval_h": interval_h},
                            "patient": patient or {}, "parameters": parameters or {},
                            "interventions": interventions or {}}
    if days is not None:
        spec["duration_days"] = days
    return Simulation(parse_scenario(spec)).solve(patients)


def oral(drug: str, dose: float, schedule: str = "d1-21/28", cycles: int = 1) -> dict:
    return {"drug": drug, "dose_mg": dose, "schedule": schedule, "cycles": cycles}


def in_vitro(drug: str, conc_um: float) -> dict:
    return {"drug": drug, "concentration_uM": conc_um}


def window_mean(result: SimulationResult, name: str, d0: float, d1: float,
                patient: int = 0) -> float:
    t = result.t_days
    m = (t >= d0) & (t <= d1)
    return float(np.mean(result.series(name, patient)[m]))


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if d is None:
        pytest.skip("shared/ data folder not found (set IMIDSIM_SHARED)")
    return d
