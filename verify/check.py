"""Exact instance checks: success against the bound of Theorem 1, 3 or 5 on one discrete instance.

verify/ layer over theory/instance.py (the exact reference): it adds the theorems' hypotheses, so that an
instance outside a theorem (an erasure map that is not idempotent) is reported as such, not as a violation.

>>> from theory.instance import make_instance
>>> out = check_instance(make_instance([["1/2", 0], [0, "1/2"]], [1, 1], 0, "feature-label", "3/5"))
>>> out["success"], out["bound"], out["holds"]
('1', '2/3', True)
"""

from __future__ import annotations

from fractions import Fraction

from theory.instance import Instance, bound, params, success


def hypotheses(inst: Instance) -> dict[str, bool]:
    """The hypotheses of the instance's theorem beyond what parse_instance validates."""
    prm = params(inst)
    if inst.strategy == "feature-only":
        return {"p_positive": prm["p"] > 0}
    if inst.strategy == "erasure":
        g = inst.signal
        return {"g_idempotent": all(g[g[x]] == g[x] for x in range(inst.nx)), "tau_defined": prm["tau"] is not None}
    return {}


def _text(v: Fraction | None) -> str | None:
    return None if v is None else str(v)


def check_instance(inst: Instance) -> dict:
    """{"success", "success_float", "bound", "bound_float", "params", "hypotheses", "holds"} of one instance.

    The bound (epsilon = 0) is null where a hypothesis of its theorem fails; "holds" is then true (nothing
    is claimed), and otherwise says whether success >= bound.
    """
    s, prm, hyp = success(inst), params(inst), hypotheses(inst)
    b = bound(inst) if all(hyp.values()) else None
    return {"success": str(s), "success_float": float(s), "bound": _text(b),
            "bound_float": None if b is None else float(b),
            "params": {k: _text(v) for k, v in prm.items()}, "hypotheses": hyp,
            "holds": b is None or s >= b}
