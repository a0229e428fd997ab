"""Drug PK from the library's parameter records, with the lenalidomide renal covariate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imidsim.errors import InputError
from imidsim.library.loader import Drug
from imidsim.model.parameter import ParameterSet
from imidsim.pk.linear import LinearPK


def renal_factor(params: ParameterSet, drug: str, crcl: np.ndarray) -> np.ndarray:
    """CL multiplier at creatinine clearance ``crcl`` (mL/min) relative to ``crcl_ref``.

    ``CL = CL_typ * (f_nr + (1 - f_nr) * R(CrCl) / R(CrCl_ref))`` with the saturating renal
    term ``R(x) = x^h / (x^h + CrCl50^h)`` fitted to the renal-impairment study.
    """
    f_nr = params.value(f"{drug}.fe_nonrenal")
    c50 = params.value(f"{drug}.crcl50")
    h = params.value(f"{drug}.renal_hill")
    ref = params.value(f"{drug}.crcl_ref")
    crcl = np.maximum(np.asarray(crcl, float), 0.0)

    def r(x: np.ndarray | float) -> np.ndarray:
        return np.asarray(x, float) ** h / (np.asarray(x, float) ** h + c50**h)

    return f_nr + (1 - f_nr) * r(crcl) / r(ref)


def linear_pk(drug: Drug, params: ParameterSet, n: int = 1, *,
              crcl: np.ndarray | float | None = None,
              cl_mult: np.ndarray | float = 1.0, v_mult: np.ndarray | float = 1.0) -> LinearPK:
    """Build :class:`LinearPK` for ``n`` patients from ``params`` (with covariates)."""
    if drug.pk_model == "none":
        raise InputError(f"drug: '{drug.name}' has no human PK (in-vitro compound); give "
                         f"'concentration_uM' instead of a dose")
    v = {k: params.value(f"{drug.name}.{k}") for k in ("ka", "CL", "V1", "Q", "V2", "F", "lag")}
    ones = np.ones(n)
    cl = v["CL"] * ones * np.asarray(cl_mult, float)
    if drug.renal and crcl is not None:
        cl = cl * renal_factor(params, drug.name, np.broadcast_to(np.asarray(crcl, float), (n,)))
    q = v["Q"] * ones
    if drug.pk_model == "oral_1cmt":
        q = np.zeros(n)
    return LinearPK(ka=v["ka"] * ones, cl=cl, v1=v["V1"] * ones * np.asarray(v_mult, float),
                    q=q, v2=v["V2"] * ones, f=v["F"] * ones, lag=v["lag"] * ones,
                    mw=params.value(f"{drug.name}.mw"))


@dataclass(frozen=True)
class ExposureSummary:
    """Single-dose exposure metrics of one drug at one dose."""

    drug: str
    dose_mg: float
    crcl_ml_min: float | None
    cmax_ng_ml: float
    tmax_h: float
    auc_ng_h_ml: float  # 0-inf, single dose
    t_half_h: float
    cmax_ss_ng_ml: float  # steady state under once-daily dosing
    auc_tau_ss_ng_h_ml: float
    cmax_um: float

    def as_dict(self) -> dict[str, float | str | None]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def exposure_summary(drug: Drug, params: ParameterSet, dose_mg: float,
                     crcl: float | None = None) -> ExposureSummary:
    """Cmax, tmax, AUC0-inf and terminal t1/2 of a single dose, plus QD steady state."""
    pk = linear_pk(drug, params, 1, crcl=crcl)
    t_half = float(pk.terminal_half_life()[0])
    horizon = max(48.0, 12 * t_half)
    t = np.linspace(0.0, horizon, 200_001)
    c = pk.concentration(t, np.array([0.0]), np.array([dose_mg]))[0]
    i = int(np.argmax(c))
    auc = float(dose_mg * pk.f[0] / pk.cl[0] * 1000.0)  # mg.h/L -> ng.h/mL
    n_days = int(np.ceil(10 * t_half / 24.0)) + 5
    doses = np.arange(n_days) * 24.0
    tss = (n_days - 1) * 24.0 + np.linspace(0.0, 24.0, 24_001)
    css = pk.concentration(tss, doses, np.full(n_days, dose_mg))[0]
    auc_tau = float(np.trapezoid(css, tss))
    return ExposureSummary(drug.name, float(dose_mg), crcl, float(c[i]), float(t[i]), auc, t_half,
                           float(css.max()), auc_tau, float(c[i] / pk.mw))
