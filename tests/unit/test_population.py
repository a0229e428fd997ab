"""Virtual-population sampling: per-parameter streams, eligibility, distributions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from imidsim.errors import InputError
from imidsim.trials.population import population, sample


def test_a_patients_draws_do_not_depend_on_how_many_are_drawn() -> None:
    pop = population("myeloma_rr")
    few, many = sample(pop, 7, seed=3), sample(pop, 40, seed=3)
    np.testing.assert_array_equal(few.to_numpy(), many.iloc[:7].to_numpy())


def test_adding_a_parameter_leaves_every_other_draw_unchanged() -> None:
    """Each parameter has its own stream: a new population parameter must not reshuffle the
    patients (before, one shared stream per patient shifted every later draw)."""
    pop = population("myeloma_rr")
    extra = dataclasses.replace(pop, parameters={
        "patient.new_thing": {"dist": "lognormal", "median": 1.0, "cv": 0.5},
        **pop.parameters})
    a, b = sample(pop, 50, seed=11), sample(extra, 50, seed=11)
    assert (b["patient.new_thing"] != 1.0).any()
    np.testing.assert_array_equal(a.to_numpy(), b[a.columns].to_numpy())


def test_eligibility_is_enforced_and_distributions_have_their_moments() -> None:
    pop = population("myeloma_rr")
    t = sample(pop, 4000, seed=0)
    assert (t["patient.anc0"] >= 1.0).all() and (t["patient.plt0"] >= 75).all()
    ks = t["patient.kill_sensitivity"]  # lognormal, median 1, CV 1 (no eligibility on it)
    assert np.median(ks) == pytest.approx(1.0, rel=0.06)
    assert ks.std() / ks.mean() == pytest.approx(1.0, rel=0.15)
    crcl = t["crcl_ml_min"]
    assert crcl.min() >= 30 and crcl.max() <= 150
    assert sample(pop, 5, seed=1).ne(sample(pop, 5, seed=2)).any().any()


def test_an_impossible_eligibility_window_is_a_clear_error() -> None:
    pop = dataclasses.replace(population("myeloma_rr"),
                              eligibility={"patient.anc0": (1e9, None)})
    with pytest.raises(InputError, match="no eligible draw"):
        sample(pop, 3, seed=0, max_tries=5)


def test_trial_entry_criteria_narrow_the_population_window() -> None:
    """A trial's entry criteria (clinical names) intersect the population's own window: every
    patient meets both, patients who met both before keep their draws, and no criteria at all
    reproduces the population's sample exactly."""
    pop = population("myeloma_rr")
    base = sample(pop, 300, seed=5)
    np.testing.assert_array_equal(base.to_numpy(), sample(pop, 300, seed=5, entry={}).to_numpy())
    strict = sample(pop, 300, seed=5, entry={"crcl_ml_min": (60.0, None),
                                             "anc_10e9_per_l": (1.5, None),
                                             "platelets_10e9_per_l": (50.0, None)})
    assert (strict["crcl_ml_min"] >= 60).all() and (strict["patient.anc0"] >= 1.5).all()
    assert (strict["patient.plt0"] >= 75).all()  # the population's own 75 is the stricter bound
    assert (base["crcl_ml_min"] < 60).any()  # the criterion did select
    kept = ((base["crcl_ml_min"] >= 60) & (base["patient.anc0"] >= 1.5)).to_numpy()
    np.testing.assert_array_equal(base[kept].to_numpy(), strict[kept].to_numpy())
    capped = sample(pop, 300, seed=5, entry={"crcl_ml_min": (None, 50.0)})
    assert capped["crcl_ml_min"].between(30, 50).all()
