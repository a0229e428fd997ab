"""Linear oral pharmacokinetics in closed form.

A drug's disposition is a linear system ``dx/dt = A x`` over compartments
``[gut, central, peripheral]`` (one-compartment drugs leave the peripheral compartment empty
and inert). Doses are boluses of ``F * dose`` into the gut at ``t_dose + lag``. Because the
system is linear, the amounts after any dose history follow by superposition, and between
doses ``x(t0 + tau) = V exp(Lambda tau) V^-1 x(t0)``: the engine propagates the PK state
analytically, so dosing adds no integration stiffness and no restarts.

Units: amounts in mg, volumes in L, clearances in L/h, rates in 1/h, time in h.
Concentrations are reported in ng/mL (= ug/L) and uM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_CMT = 3  # gut, central, peripheral
INERT_RATE = 1.0e3 * np.pi  # 1/h; eigenvalue given to the unused peripheral of a 1-cmt drug


@dataclass(frozen=True)
class LinearPK:
    """PK parameters of one drug for a batch of patients (arrays of shape (n,))."""

    ka: np.ndarray  # 1/h
    cl: np.ndarray  # L/h (apparent, CL/F)
    v1: np.ndarray  # L (apparent central volume, V/F)
    q: np.ndarray  # L/h (inter-compartmental clearance; 0 for one compartment)
    v2: np.ndarray  # L (peripheral volume; ignored when q == 0)
    f: np.ndarray  # bioavailability fraction applied to the dose
    lag: np.ndarray  # h
    mw: float  # g/mol

    @property
    def n(self) -> int:
        return int(np.asarray(self.ka).shape[0])

    def system_matrix(self) -> np.ndarray:
        """Rate matrix A of shape (n, 3, 3)."""
        n = self.n
        a = np.zeros((n, N_CMT, N_CMT))
        ka, cl, v1, q, v2 = (np.asarray(x, float) for x in (self.ka, self.cl, self.v1,
                                                               self.q, self.v2))
        two = q > 0
        a[:, 0, 0] = -ka
        a[:, 1, 0] = ka
        a[:, 1, 1] = -(cl + q) / v1
        a[:, 1, 2] = np.where(two, q / np.where(two, v2, 1.0), 0.0)
        a[:, 2, 1] = np.where(two, q / v1, 0.0)
        a[:, 2, 2] = np.where(two, -q / np.where(two, v2, 1.0), -INERT_RATE)
        return a

    def eigen(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eigen-decomposition ``(lam (n,3), V (n,3,3), Vinv (n,3,3))`` of the system matrix.

        Equal eigenvalues (ka exactly equal to an elimination rate) make A defective; such a
        ka is nudged by one part in 1e7, which changes concentrations by less than 1e-6.
        """
        a = self.system_matrix()
        lam, vec = np.linalg.eig(a)
        lam = lam.real
        # Compare only real disposition/absorption rates (not the inert placeholder).
        act = np.where(np.isclose(-lam, INERT_RATE), np.nan, lam)
        gap = np.nanmin(np.abs(act[:, :, None] - act[:, None, :]) + np.eye(N_CMT) * 1e9,
                        axis=(1, 2))
        if np.any(gap < 1e-9 * np.nanmax(np.abs(act), axis=1)):
            bumped = LinearPK(self.ka * (1 + 1e-7), self.cl, self.v1, self.q, self.v2, self.f,
                              self.lag, self.mw)
            return bumped.eigen()
        vec = vec.real
        return lam, vec, np.linalg.inv(vec)

    def terminal_half_life(self) -> np.ndarray:
        """Terminal half-life (h): the slowest disposition or absorption eigenvalue."""
        lam, _, _ = self.eigen()
        lam = np.where(np.isclose(-lam, INERT_RATE), -np.inf, lam)
        return np.log(2.0) / -np.max(lam, axis=1)

    def ug_per_l_to_um(self) -> float:
        """Factor from ng/mL (ug/L) to uM."""
        return 1.0 / self.mw

    def concentration(self, times: np.ndarray, dose_times: np.ndarray,
                      doses_mg: np.ndarray) -> np.ndarray:
        """Plasma concentration (ng/mL) at ``times`` for every patient, by superposition.

        ``dose_times`` and ``doses_mg`` are 1-D (shared by all patients). Returns (n, len(times)).
        """
        lam, vec, vinv = self.eigen()
        times = np.asarray(times, float)
        out = np.zeros((self.n, times.size))
        for td, dose in zip(np.asarray(dose_times, float), np.asarray(doses_mg, float),
                            strict=True):
            tau = times[None, :] - (td + np.asarray(self.lag)[:, None])
            x0 = np.zeros((self.n, N_CMT))
            x0[:, 0] = dose * np.asarray(self.f)
            coef = vec[:, 1, :] * np.einsum("nij,nj->ni", vinv, x0)  # (n, 3) central amounts
            decay = np.exp(lam[:, :, None] * np.maximum(tau, 0)[:, None, :])
            amt = np.einsum("nk,nkt->nt", coef, decay)
            out += np.where(tau >= 0, amt, 0.0)
        return np.maximum(out, 0.0) / np.asarray(self.v1)[:, None] * 1000.0
