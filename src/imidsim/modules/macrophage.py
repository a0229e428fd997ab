"""Macrophages: M1/M2 polarisation, phagocytosis and ADCP capacity.

IKZF1 degradation shifts tumour-associated macrophages from M2 to M1 by epigenetic
regulation of IRF4/IRF5 (review ref 223); pomalidomide repolarises macrophages and raises
phagocytosis with STAT1 up and STAT6 down (ref 35). IFN-gamma also polarises towards M1.
The M1 share relaxes to ``m0 + (1 - m0) s / (1 + s)`` with
``s = m1_max * D_Mac + ifng_m1 * (IFN-gamma - 1)+``.
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate


def macrophage_module() -> Module:
    m0 = "patient.m1_fraction0"
    assigns = (
        Assignment("derepression_Mac", f"pos(1 - {substrate('IKZF1', 'Mac')})", "1",
                   "IKZF1 loss in macrophages", ("review:223",)),
        Assignment("m1_drive", "mac.m1_max * derepression_Mac + mac.ifng_m1 * pos(IFNG - 1)", "1",
                   "pro-M1 signal (IKZF1 -> IRF4/IRF5; IFN-gamma -> STAT1)",
                   ("review:223", "review:35")),
        Assignment("macrophages", "1 - intervention.macrophage_depletion", "1",
                   "macrophage number relative to the untreated patient"),
        Assignment("stat1", f"M1_SHARE / {m0}", "1", "STAT1 signalling (M1 marker, 1 = untreated)",
                   ("review:35",)),
        Assignment("stat6", f"(1 - M1_SHARE) / (1 - {m0})", "1",
                   "STAT6 signalling (M2 marker, 1 = untreated)", ("review:35",)),
        Assignment("phagocytosis",
                   f"macrophages * (mac.phag_m2 * (1 - M1_SHARE) + M1_SHARE)"
                   f" / (mac.phag_m2 * (1 - {m0}) + {m0})", "1",
                   "tumour phagocytosis by macrophages (1 = untreated)", ("review:35",)),
        Assignment("adcp_capacity", "phagocytosis", "1",
                   "macrophage capacity for antibody-dependent phagocytosis (1 = untreated)",
                   ("review:213", "review:225")),
    )
    species = (Species("M1_SHARE", "1", m0, "M1 share of tumour-associated macrophages",
                       ("review:223",)),)
    reactions = (
        Reaction("M1_polarisation",
                 f"mac.k_pol * ({m0} + (1 - {m0}) * m1_drive / (1 + m1_drive))", {"M1_SHARE": 1},
                 "repolarisation towards M1", ("review:223", "review:35")),
        Reaction("M1_relaxation", "mac.k_pol * M1_SHARE", {"M1_SHARE": -1},
                 "return to the niche's polarisation"),
    )
    return Module("macrophage", "Macrophages: M1/M2, phagocytosis, ADCP capacity.",
                  species, assigns, reactions, refs=("review:223", "review:35"))
