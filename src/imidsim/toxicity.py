"""Haematological toxicity grading (CTCAE v5.0) of simulated blood counts.

Thresholds are those of the Common Terminology Criteria for Adverse Events (CTCAE) v5.0,
terms "Neutrophil count decreased" and "Platelet count decreased". They are definitions, not
model parameters, so they carry no parameter record (evidence: imidsim:modelling-choice —
CTCAE v5.0 is not in the reference registry). Counts are in 10^9 cells/L (``gcell/L``), the
unit of the model's ``ANC`` and ``PLT`` assignments.

==========  =========================  ==========================
grade       neutrophils (10^9/L)       platelets (10^9/L)
==========  =========================  ==========================
0           >= LLN (2.0)               >= LLN (150)
1           < 2.0 and >= 1.5           < 150 and >= 75
2           < 1.5 and >= 1.0           < 75 and >= 50
3           < 1.0 and >= 0.5           < 50 and >= 25
4           < 0.5                      < 25
==========  =========================  ==========================

The lower limits of normal (LLN) are the conventional adult values (2.0 and 150 x10^9/L);
CTCAE defers the LLN to the local laboratory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imidsim.errors import InputError

# Lower bounds (exclusive "<" thresholds) of grades 1, 2, 3 and 4, in 10^9 cells/L.
# CTCAE v5.0 (imidsim:modelling-choice for the LLN values).
ANC_THRESHOLDS = (2.0, 1.5, 1.0, 0.5)
PLATELET_THRESHOLDS = (150.0, 75.0, 50.0, 25.0)

_KINDS = {"anc": ANC_THRESHOLDS, "neutrophils": ANC_THRESHOLDS, "ANC": ANC_THRESHOLDS,
          "plt": PLATELET_THRESHOLDS, "platelets": PLATELET_THRESHOLDS,
          "PLT": PLATELET_THRESHOLDS}
_OUTPUT = {ANC_THRESHOLDS: "ANC", PLATELET_THRESHOLDS: "PLT"}


def _grade(values: Any, thresholds: tuple[float, ...], what: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise InputError(f"{what}: cannot grade NaN counts")
    grade = np.zeros(x.shape, dtype=np.int8)
    for g, lim in enumerate(thresholds, start=1):
        grade[x < lim] = g
    return grade


def anc_grade(anc: Any) -> np.ndarray:
    """CTCAE v5.0 grade (0-4) of "Neutrophil count decreased" for ANC in 10^9 cells/L.

    Grade 1: < 2.0 (LLN) to 1.5; grade 2: < 1.5 to 1.0; grade 3: < 1.0 to 0.5; grade 4: < 0.5.
    Vectorised: returns an int8 array of the input's shape (a 0-d array for a scalar).
    """
    return _grade(anc, ANC_THRESHOLDS, "anc_grade")


def platelet_grade(plt: Any) -> np.ndarray:
    """CTCAE v5.0 grade (0-4) of "Platelet count decreased" for platelets in 10^9 cells/L.

    Grade 1: < 150 (LLN) to 75; grade 2: < 75 to 50; grade 3: < 50 to 25; grade 4: < 25.
    Vectorised: returns an int8 array of the input's shape.
    """
    return _grade(plt, PLATELET_THRESHOLDS, "platelet_grade")


def _thresholds(kind: str) -> tuple[float, ...]:
    try:
        return _KINDS[kind]
    except KeyError:
        raise InputError(f"kind: unknown count '{kind}'; expected 'anc' or 'platelets'") from None


def worst_grade(values: Any, kind: str = "anc") -> np.ndarray:
    """Worst CTCAE v5.0 grade over time: ``values`` has time on its last axis.

    ``kind`` is ``"anc"`` (neutrophils) or ``"platelets"`` (``"plt"``); counts in 10^9/L.
    A (n_patients, n_times) array gives one grade per patient; a 1-D series gives a 0-d array.
    """
    th = _thresholds(kind)
    g = _grade(values, th, f"worst_grade({kind})")
    if g.ndim == 0:
        return g
    return g.max(axis=-1)


def counts(result: Any, kind: str = "anc",
           window_days: tuple[float, float] | None = None) -> np.ndarray:
    """The (n_patients, n_times) ANC or platelet array of a simulation result (10^9/L).

    ``window_days`` keeps the output times ``d0 <= t <= d1`` (days since the start).
    """
    name = _OUTPUT[_thresholds(kind)]
    arr = np.stack([result.series(name, i) for i in range(result.n_patients)])
    if window_days is not None:
        t = np.asarray(result.t_days)
        arr = arr[:, (t >= window_days[0]) & (t <= window_days[1])]
    return arr


def grade34_rate(results_or_arrays: Any, kind: str = "anc",
                 window_days: tuple[float, float] | None = None) -> float:
    """Fraction of patients with any grade >= 3 (grade 3-4) at any time.

    ``results_or_arrays`` is an (n_patients, n_times) array of counts in 10^9 cells/L (a
    single 1-D series counts as one patient), or a simulation result, whose ``ANC`` or
    ``PLT`` outputs are read (optionally within ``window_days``). Grades are CTCAE v5.0:
    neutrophils < 1.0 x10^9/L, platelets < 50 x10^9/L.
    """
    if hasattr(results_or_arrays, "series") and hasattr(results_or_arrays, "n_patients"):
        arr = counts(results_or_arrays, kind, window_days)
    else:
        if window_days is not None:
            raise InputError("window_days: only for a simulation result, not a bare array")
        arr = np.asarray(results_or_arrays, dtype=float)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise InputError(f"grade34_rate: expected an (n_patients, n_times) array, got "
                             f"shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError("grade34_rate: no patients")
    return float(np.mean(worst_grade(arr, kind) >= 3))
