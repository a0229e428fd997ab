"""The minimal trial shared by the store and Dask tests, and their equality check.

12 months, three arms of 8 patients: Rd and two observation arms compared with each other so
the hazard ratio is finite. A run through the store or Dask must equal the in-memory run.
"""

from __future__ import annotations

import pandas as pd

from imidsim.trials.runner import TrialResult

N, SEED, SHARD = 8, 11, 3  # 3 arms x 3 shards
SPEC = {"name": "mini", "disease": "myeloma", "population": "myeloma_rr",
        "follow_up_months": 12, "assessment_interval_days": 28,
        "arms": [{"name": "Rd", "regimen": "Rd", "n": 100},
                 {"name": "Obs", "regimen": "Observation", "n": 100},
                 {"name": "Obs2", "regimen": "Observation", "n": 100}],
        "comparisons": [{"experimental": "Obs2", "control": "Obs"}]}


def assert_same(a: TrialResult, b: TrialResult) -> None:
    assert a.as_dict() == b.as_dict()
    assert a.rows is not None and b.rows is not None
    pd.testing.assert_frame_equal(a.rows, b.rows)
