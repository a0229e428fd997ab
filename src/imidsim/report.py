"""Write a simulation's outputs: time courses (Parquet, CSV), summary.json and a PNG plot.

Everything is written into a temporary folder next to the destination and moved into place
at the end, so an interrupted or failed run leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from imidsim.errors import InputError
from imidsim.library.loader import disease as lookup_disease
from imidsim.modules.crbn import CONTEXTS
from imidsim.response import summarise
from imidsim.simulation import SimulationResult


def summary(result: SimulationResult, patient: int = 0) -> dict[str, object]:
    """A JSON-ready summary: response, neosubstrate nadirs, exposure, provenance, sources."""
    dis = lookup_disease(result.scenario.disease)
    t = result.t_days
    readout = {"mprotein": "MPROTEIN", "spd": "SPD", "alc": "ALC"}[dis.readout]
    resp = summarise(dis.readout, t, result.series(readout, patient))
    neos = {}
    for ctx in CONTEXTS:
        for s in ctx.substrates:
            name = f"{s}_{ctx.key}"
            v = result.series(name, patient)
            neos[name] = {"nadir": float(v.min()), "time_of_nadir_days": float(t[np.argmin(v)]),
                          "mean": float(v.mean())}
    exposure = {}
    for name in result.model.input_names:
        c = result.series(name, patient)
        if c.max() > 0:
            exposure[name.removeprefix("C_")] = {"cmax_uM_on_output_grid": float(c.max()),
                                                 "mean_uM": float(c.mean())}
    params = result.parameters
    used = result.model.parameter_names
    by_status: dict[str, int] = {}
    for n in used:
        s = params[n].status.value
        by_status[s] = by_status.get(s, 0) + 1
    return {
        "scenario": result.scenario.name,
        "disease": dis.name,
        "horizon_days": float(t[-1]),
        "response": resp.as_dict(),
        "tumour": {"burden_nadir": float(result.series("tumour_burden", patient).min()),
                   "burden_final": float(result.series("tumour_burden", patient)[-1]),
                   "resistant_share_final": float(result.series("resistant_share", patient)[-1])},
        "il2_peak_fold": float(result.series("IL2", patient).max()),
        "neosubstrates": neos,
        "exposure": exposure,
        "parameters_by_status": by_status,
        "provenance": result.provenance,
        "citations": result.citations(),
    }


def _panel(ax, result: SimulationResult, names: tuple[str, ...], patient: int,
           title: str, ylabel: str = "level (1 = untreated)") -> None:
    t = result.t_days
    available = set(result.names())
    for name in names:
        if name in available:
            ax.plot(t, result.series(name, patient), label=name)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2)


def plot(result: SimulationResult, path: Path, patient: int = 0) -> None:
    """One PNG: exposure, neosubstrates, tumour programme, readout and clones, T/NK cells,
    myeloid/stromal compartment and cytokines, blood counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dis = lookup_disease(result.scenario.disease)
    t = result.t_days
    fig, axes = plt.subplots(4, 2, figsize=(12, 13), sharex=True)
    ax = axes[0, 0]
    for name in result.model.input_names:
        c = result.series(name, patient)
        if c.max() > 0:
            ax.plot(t, c, label=name.removeprefix("C_"))
    ax.set_ylabel("plasma concentration (uM)")
    ax.set_title("Drug exposure")
    ax.legend(fontsize=8)
    _panel(axes[0, 1], result, ("IKZF1_TumS", "IKZF3_TumS", "IKZF3_T", "IKZF1_Mac",
                                "CK1a_Prog", "GSPT1_TumS"), patient, "Neosubstrates")
    _panel(axes[1, 0], result, ("MYC_TumS", "IRF4_TumS", "P21_TumS", "IFNB_TumS", "CD38_TumS"),
           patient, "Tumour programme (sensitive clone)")
    ax = axes[1, 1]
    readout = {"mprotein": "MPROTEIN", "spd": "SPD", "alc": "ALC"}[dis.readout]
    ax.plot(t, result.series(readout, patient), color="k", label=readout)
    ax.set_ylabel(readout)
    ax2 = ax.twinx()
    ax2.semilogy(t, result.series("N_TumS", patient), "--", label="sensitive clone")
    ax2.semilogy(t, result.series("N_TumR", patient), ":", label="resistant clone")
    escape = result.series("N_TumX", patient)
    if escape.max() > 0:  # absent unless the patient has an escape share
        ax2.semilogy(t, escape, "-.", label="escape clone")
    ax2.set_ylabel("tumour burden (1 = baseline)")
    ax.set_title(f"{dis.label}: readout and clones")
    ax2.legend(fontsize=8, loc="upper right")
    _panel(axes[2, 0], result, ("IL2", "cd8_total", "pd1_fraction", "TREG", "NK",
                                "nk_cytotoxicity", "synapse_quality"), patient,
           "T and NK cells")
    _panel(axes[2, 1], result, ("IFNG", "TNFA", "IL6", "IL10", "M1_SHARE", "dc_priming_cd8",
                                "niche_protection", "angiogenic_support"), patient,
           "Cytokines, macrophages, DCs, stroma")
    ax = axes[3, 0]
    names = set(result.names())
    for name, grade3 in (("ANC", 1.0), ("PLT", 50.0)):
        if name in names:
            line = ax.plot(t, result.series(name, patient), label=name)[0]
            ax.axhline(grade3, color=line.get_color(), ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("10^9/L (dotted: grade 3)")
    ax.set_title("Blood counts")
    ax.legend(fontsize=8)
    _panel(axes[3, 1], result, ("direct_kill_TumS", "immune_kill", "ctl_kill", "nk_kill",
                                "mac_kill"), patient, "Kill rates", "1/h")
    for a in axes[3]:
        a.set_xlabel("time (days)")
    fig.suptitle(result.scenario.name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_outputs(result: SimulationResult, out_dir: str | Path) -> dict[str, str]:
    """Write all outputs for patient 0 into ``out_dir`` atomically; return the file paths."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: '{out}' exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".imidsim-", dir=out.parent))
    try:
        frame = result.frame(0)
        frame.to_parquet(tmp / "timecourse.parquet", index=False)
        frame.to_csv(tmp / "timecourse.csv", index=False, float_format="%.8g")
        (tmp / "summary.json").write_text(json.dumps(summary(result), indent=2) + "\n")
        plot(result, tmp / "plot.png")
        out.mkdir(exist_ok=True)
        names = ("timecourse.parquet", "timecourse.csv", "summary.json", "plot.png")
        for name in names:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {n: str(out / n) for n in names}
