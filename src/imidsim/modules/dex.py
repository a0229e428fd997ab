"""Dexamethasone: glucocorticoid-receptor occupancy, direct myeloma kill, immune dampening.

``dex_effect`` (0..1) is the fractional glucocorticoid-receptor effect at the plasma
concentration. It kills myeloma cells directly (an apoptosis rate, disease-weighted) and
dampens IMiD-driven immune activation — T-cell IL-2 output and activation, NK activation —
the antagonism the review describes for IMiD + dexamethasone (section 4.4; claim C5).
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction
from imidsim.modules.exposure import conc_name
from imidsim.modules.tumour import CLONES


def dex_module(glucocorticoids: tuple[str, ...] = ()) -> Module:
    """Glucocorticoid effect; other glucocorticoids (e.g. prednisone) count as dexamethasone
    equivalents ``C * dex.EC50 / <drug>.gc_EC50``."""
    c = conc_name("dexamethasone")
    c += "".join(f" + {conc_name(g)} * dex.EC50 / {g}.gc_EC50" for g in glucocorticoids)
    reactions = tuple(
        Reaction(f"{k.burden}_dex_kill",
                 f"dex.kill_max * tumour.dex_sensitivity * {k.sensitivity} * dex_effect"
                 f" * {k.burden}",
                 {k.burden: -1}, "glucocorticoid-induced apoptosis of malignant cells",
                 ("review:274", "trial:MM-003"))
        for k in CLONES)
    return Module(
        "dexamethasone", "Dexamethasone exposure effect, direct kill and immune dampening.",
        assignments=(
            Assignment("dex_effect", f"hill({c}, dex.EC50, 1)", "1",
                       "fractional glucocorticoid-receptor effect", ("T41",)),
            Assignment("dex_immune_damping", "1 - dex.immune_imax * dex_effect", "1",
                       "multiplier (<=1) on IMiD-driven T/NK activation",
                       ("review:274", "imidsim:modelling-choice")),
        ),
        reactions=reactions,
    )
