"""Reusable biology written once: first-order relaxation of a level towards a target."""

from __future__ import annotations

from imidsim.model.core import Reaction


def relax(name: str, target: str, rate: str, desc: str, refs: tuple[str, ...] = (), *,
          gain: str = "production", loss: str = "turnover") -> list[Reaction]:
    """``d name/dt = rate * (target - name)`` as a production and a loss reaction."""
    return [Reaction(f"{name}_{gain}", f"{rate} * {target}", {name: 1}, desc, refs),
            Reaction(f"{name}_{loss}", f"{rate} * {name}", {name: -1}, f"turnover of {name}")]
