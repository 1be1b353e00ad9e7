"""Stage "reweighting": alpha_eff of each reweighting firm, derived (theory/reweighting.py) against computed from
the weighted tables, and the weighted success against alpha and against alpha_eff."""

from __future__ import annotations

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.resume import each
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import num, table

SCHEME_OPTIONS = {"inverse-class": {}, "importance": {}, "jtt": {"lam": 5.0}, "cvar": {"level": 0.1}}
S_STAR = 0.9
SIGNAL_MASS = 0.02
SHAPE = {"nx": 12, "num_labels": 3}  # numerics.learners.signal_instance's planting instances


def derived_alpha_eff(scheme: str, inst, alphas, w_star, w_0, options: dict) -> np.ndarray:
    """theory.reweighting's alpha_eff for one scheme at each alpha, evaluated by theory.evaluate.

    Inverse-class and JTT use their closed forms (K and the base frequency of y*; the first stage's error
    rates e_c on P* and e on P); importance and CVaR, whose closed forms assume weights constant on the
    collective's support (not so here), use the general mixture form in the two weight means ``w_star``
    (E_{P*}[w]) and ``w_0`` (E_{P0}[w]); where ``w_star`` is 0 the form's value is 0.
    """
    from numerics.learners import tables
    from numerics.reweight import first_stage_errors
    from theory.evaluate import evaluate

    tab = tables(inst)
    alphas = np.asarray(alphas, dtype=np.float64)
    if scheme == "inverse-class":
        return np.broadcast_to(evaluate("reweight-inverse-class", "alpha_eff", dict(
            alpha=alphas, K=tab.p0.shape[1], q_ystar=float(tab.p0[:, tab.target].sum()))), alphas.shape)
    if scheme == "jtt":
        mixes = alphas[:, None, None] * tab.p_star + (1 - alphas[:, None, None]) * tab.p0  # [A, n_x, k]
        errs = np.stack([first_stage_errors(p) for p in mixes])  # [A, n_x, k]
        e_c = np.sum(errs * tab.p_star, axis=(1, 2))  # [A]
        e = np.sum(errs * mixes, axis=(1, 2))  # [A]
        return np.asarray(evaluate("reweight-jtt", "alpha_eff", {"alpha": alphas, "lambda": options["lam"],
                                                                 "e_c": e_c, "e": e}))
    w_star, w_0 = np.asarray(w_star), np.asarray(w_0)
    out = np.zeros_like(alphas)
    live = w_star > 0
    out[live] = evaluate("reweight-mixture", "alpha_eff", dict(alpha=alphas[live], W_star=w_star[live], W_0=w_0[live]))
    return out


def compute(ctx: Context) -> dict:
    from numerics.learners import signal_instance
    from numerics.reweight import alignment, reweighted_curve

    points, fine = (60, 800) if ctx.quick else (200, 4000)
    seeds = [ctx.seed] if ctx.quick else [ctx.seed + i for i in range(3)]
    alphas = np.geomspace(1e-4, 1, points)
    insts = [signal_instance(s, signal_mass=SIGNAL_MASS) for s in seeds]
    data: dict = {"alphas": alphas.tolist(), "n_alphas": points, "instance_seeds": seeds, "signal_mass": SIGNAL_MASS, "fine": fine,
                  "s_star": S_STAR, "options": SCHEME_OPTIONS, **SHAPE, "schemes": {},
                  "unweighted": reweighted_curve(insts[0], alphas, "none")["success"]}
    keys = ("success", "bound", "gap_max", "gap_mean", "gap_max_unadjusted", "gap_mean_unadjusted",
            "critical_measured", "critical_predicted", "bound_violations")

    def scheme_runs(part: dict) -> list:  # one scheme on every instance: a part of the stage, saved as it finishes
        scheme = part["scheme"]
        options = SCHEME_OPTIONS[scheme]
        per_instance = []
        for seed, inst in zip(seeds, insts):
            al = alignment(inst, alphas, scheme, s_star=S_STAR, fine=fine, **options)
            curve = reweighted_curve(inst, alphas, scheme, **options)
            derived = derived_alpha_eff(scheme, inst, alphas, curve["W_star"], curve["W_0"], options)
            computed = np.asarray(al["alpha_eff"])
            rel = np.abs(derived - computed) / np.maximum(computed, 1e-300)
            per_instance.append({"instance_seed": seed, "alpha_eff_derived": derived.tolist(),
                                 "alpha_eff_computed": computed.tolist(),
                                 "alpha_eff_max_rel_diff": float(np.max(rel[alphas < 1])),
                                 "alpha_eff_at_1": {"derived": float(derived[-1]), "computed": float(computed[-1])},
                                 **{k: al[k] for k in keys}})
        return per_instance

    data["schemes"] = dict(zip(SCHEME_OPTIONS, each(ctx, "scheme", [{"scheme": k} for k in SCHEME_OPTIONS],
                                                    scheme_runs)))
    runs = [r for v in data["schemes"].values() for r in v]
    bracketed = [r["critical_measured"] <= r["critical_predicted"] for r in runs if r["critical_predicted"] is not None
                 and r["critical_measured"] is not None]
    data.update(alpha_eff_worst_rel_diff=max(r["alpha_eff_max_rel_diff"] for r in runs),
                bound_violations=sum(r["bound_violations"] for r in runs), points_checked=points * len(runs),
                bracketed=int(sum(bracketed)), with_prediction=len(bracketed))
    return data


def draw_alpha_eff(data: dict):
    fig, ax = subplots()
    alphas = np.asarray(data["alphas"])
    for k, (scheme, runs) in enumerate(data["schemes"].items()):
        first = runs[0]
        ax.plot(alphas, first["alpha_eff_derived"], f"C{k}-", label=f"{scheme}, derived")
        ax.plot(alphas[::6], first["alpha_eff_computed"][::6], f"C{k}o", ls="none", label=f"{scheme}, computed")
    ax.plot(alphas, alphas, "k:", lw=0.8, label=r"$\alpha_{\mathrm{eff}} = \alpha$")
    ax.set(xscale="log", yscale="log", xlabel=r"$\alpha$", ylabel=r"$\alpha_{\mathrm{eff}}$")
    ax.legend(ncol=2, loc="lower right")
    return fig


def draw_success(data: dict):
    fig, axes = subplots(2, 2, sharex=True, sharey=True)
    alphas = np.asarray(data["alphas"])
    for ax, (scheme, runs) in zip(axes.flat, data["schemes"].items()):
        first = runs[0]
        ax.plot(alphas, data["unweighted"], "k-", lw=1, label=r"unweighted $S(\alpha)$")
        ax.plot(alphas, first["success"], "C0-", label=r"$S_w$ against $\alpha$")
        # alpha_eff need not be monotone in alpha: markers, no line across it
        ax.plot(first["alpha_eff_computed"], first["success"], "C1.", ls="none", ms=2.5,
                label=r"$S_w$ against $\alpha_{\mathrm{eff}}$")
        b = np.array([np.nan if v is None else v for v in first["bound"]], dtype=float)
        if np.isfinite(np.where(b > 0, b, np.nan)).any():
            ax.plot(alphas, np.where(b > 0, b, np.nan), "C2:", label="reweighted Theorem 1 bound")
        for key, color, label in (("critical_measured", "C0", r"measured $\alpha^*$"),
                                  ("critical_predicted", "C2", r"predicted $\alpha^*$")):
            if first[key] is not None:
                ax.axvline(first[key], color=color, lw=0.8, ls="--", label=label)
        ax.set(title=scheme, xscale="log", ylim=(-0.02, 1.02))
    axes[1, 0].set(xlabel=r"$\alpha$ or $\alpha_{\mathrm{eff}}$", ylabel="success")
    axes[0, 0].set(ylabel="success")
    axes[1, 1].set(xlabel=r"$\alpha$ or $\alpha_{\mathrm{eff}}$")
    figure_legend(fig, axes, ncol=3)
    return fig


def figures(data: dict) -> list[Plot]:
    seed, n = data["instance_seeds"][0], data["n_alphas"]
    opts = data["options"]
    return [
        Plot("reweighting_alpha_eff", r"$\alpha_{\mathrm{eff}}$ against $\alpha$ per scheme: theory's derived expression "
                                      r"(lines) and the weighted tables' mixture weight (dots, every sixth size); "
                                      rf"instance seed ${seed}$, ${n}$ sizes, JTT $\lambda = {num(opts['jtt']['lam'])}$, "
                                      rf"CVaR level ${num(opts['cvar']['level'])}$.", draw_alpha_eff),
        Plot("reweighting_success", r"Exact weighted-Bayes success against $\alpha$ (line) and against "
                                    r"$\alpha_{\mathrm{eff}}$ (dots: $\alpha_{\mathrm{eff}}$ need not grow with "
                                    r"$\alpha$), the unweighted curve and the reweighted Theorem 1 bound where positive; "
                                    rf"vertical lines: measured and predicted critical mass at $S^* = {num(data['s_star'])}$; "
                                    rf"instance seed ${seed}$, ${n}$ sizes.", draw_success)]


def write(data: dict) -> str:
    at1 = data["schemes"]["inverse-class"][0]["alpha_eff_at_1"]
    opt = lambda v: r"\text{--}" if v is None else num(v)  # noqa: E731
    rows = [[s, f"${r['instance_seed']}$", f"${num(r['gap_max'])}$ (${num(r['gap_max_unadjusted'])}$)",
             f"${num(r['gap_mean'])}$", f"${opt(r['critical_measured'])}$", f"${opt(r['critical_predicted'])}$"]
            for s, v in data["schemes"].items() for r in v]
    return (r"The firm minimizes the $w$-weighted risk on $P = \alpha P^* + (1-\alpha) P_0$, exactly, on seeded "
            rf"planting instances (${data['nx']}$ feature values, ${data['num_labels']}$ labels, signal mass "
            rf"${num(data['signal_mass'])}$; seeds {', '.join(f'${s}$' for s in data['instance_seeds'])}) at "
            rf"${data['n_alphas']}$ log-spaced $\alpha \in [{num(min(data['alphas']))}, {num(max(data['alphas']))}]$. "
            r"The derived $\alpha_{\mathrm{eff}}$ of \texttt{theory/reweighting.py} (closed forms for inverse-class and "
            r"JTT, the mixture form $\alpha E_{P^*}[w]/E_P[w]$ otherwise) agrees with the one computed from the weighted "
            rf"tables to a relative ${num(data['alpha_eff_worst_rel_diff'], 2)}$ at every $\alpha < 1$. At $\alpha = 1$ "
            rf"the inverse-class closed form gives ${num(at1['derived'], 4)}$ ($1/K$) but the tables give "
            rf"${num(at1['computed'], 4)}$: only $y^*$ then has mass, so $E_P[w] = 1$, not $K$ (the derivation assumes "
            r"every class has mass). The gap is $\max_\alpha |S_w(\alpha) - S(\alpha_{\mathrm{eff}})|$ (unadjusted, "
            rf"against $S(\alpha)$, in brackets); the critical masses are for $S^* = {num(data['s_star'])}$, measured on "
            r"the grid and predicted by the reweighted Theorem 1 bound (\texttt{reweight-mixture-cor2}). The bound "
            rf"failed at ${data['bound_violations']}$ of ${data['points_checked']}$ points, and the measured critical mass "
            rf"was at most the predicted one in ${data['bracketed']}$ of the ${data['with_prediction']}$ runs that have "
            r"both." "\n\n"
            + table(["scheme", "seed", "max gap", "mean gap", r"measured $\alpha^*$", r"predicted $\alpha^*$"], rows,
                    "lrrrrr"))


STAGE = Stage("reweighting", "Reweighting learners: the collective's effective size", 50, compute, write, figures,
              results=("reweight-inverse-class", "reweight-jtt", "reweight-mixture", "reweight-mixture-cor2"),
              summary="alpha_eff of reweighting firms, derived against computed; weighted success")
