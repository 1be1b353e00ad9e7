"""Stages for issue 14, the field after the founding paper: Gauthier, Bach & Jordan's finite-sample experiment,
several collectives, Ben-Dov et al.'s reweighting learners, privacy, and populations of costs.

One module, five stages (``STAGES``): each topic is compute (every number, JSON-able), figures (each drawn from
that data) and write (LaTeX from that data). Results are typeset by theory.latex.render, stored in the data.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.resume import each
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import num, table, text
from theory.strategy import Strategy

S_STAR = 0.9


def rendered(ids) -> dict[str, str]:
    """The results typeset as theory.latex renders every result (an extension's headed by its kind and id)."""
    from theory import latex
    from theory.paper import result

    return {i: latex.render(result(i)) for i in ids}


def _f(x, digits: int = 6) -> str:
    """A number in math mode (``--`` for none)."""
    return r"\text{--}" if x is None else num(float(x), digits)


# ------------------------------------------------------------------------------ Gauthier, Bach & Jordan

#: Their saved outputs (github.com/GauthierE/statistical-collusion @ 722bfe4, output/*.npy), y* = Excellent.
GBJ_SAVED = {
    Strategy.FEATURE_LABEL: {1000: (-0.0648299350241995, 1.0), 21000: (-0.01875458649776112, 1.0),
                      101000: (0.9882419880534387, 1.0)},
    Strategy.UNPLANTING: {340100: (0.9853533179532997, None)},
}


COLLUSION_IDS = ["gbj-feature-only", "gbj-unplanting", "binomial-feature-only", "binomial-unplanting"]


def compute_collusion(ctx: Context) -> dict:
    from numerics import collusion

    rows, samples, test = 1_100_000, 1_000_000, 100_000
    table = collusion.car_table(rows, seed=ctx.seed)
    fix = collusion.parse_fix(table, [f"{k}={v}" for k, v in collusion.GBJ_SIGNAL.items()])
    x0 = collusion.parse_fix(table, [f"{k}={v}" for k, v in collusion.GBJ_X0.items()], "--x0")
    excellent = collusion.parse_label(table, "Excellent")
    if ctx.quick:
        plan = {Strategy.FEATURE_LABEL: [1000, 21000, 41000, 61000, 81000, 101000],
                Strategy.FEATURE_ONLY: [1000, 101000, 201000], Strategy.UNPLANTING: [10100, 60100, 340100]}
    else:
        plan = {Strategy.FEATURE_LABEL: [1000, *range(21000, 200000, 20000), 200000, 300000, 400000, 500000],
                Strategy.FEATURE_ONLY: [1000, 51000, 101000, 151000, 201000, 251000, 400000, 600000, 800000, 999000],
                Strategy.UNPLANTING: list(range(10100, 350001, 20000)) + [340100]}

    def run(part: dict) -> list:  # one run per strategy: a part of the stage, saved as it finishes
        strategy, ns = Strategy(part["strategy"]), part["n"]
        return collusion.run(table, fix, excellent, ns, samples, test, strategy=strategy, seed=ctx.seed, x0=x0,
                             n_est=2000 if strategy == Strategy.UNPLANTING else None)

    runs = dict(zip(plan, each(ctx, "run", [{"strategy": k, "n": sorted(set(ns))} for k, ns in plan.items()], run)))
    reproduced = sum(1 for s, d in GBJ_SAVED.items() for n, v in d.items()
                     if any(r["n"] == n and r["gbj"] == v[0] for r in runs.get(s, [])))
    return {"rows": rows, "reproduced": reproduced, "samples": samples, "test": test, "seed": ctx.seed, "delta": 0.05, "target": "Excellent",
            "columns": len(table.names), "fixed_columns": len(fix), "n_saved": sum(len(d) for d in GBJ_SAVED.values()),
            "n_est": 2000, "x_star": collusion.x_star_size(table, fix), "runs": runs,
            "saved": {s: {str(n): v for n, v in d.items()} for s, d in GBJ_SAVED.items()},
            "results": rendered(COLLUSION_IDS)}


def draw_collusion(nums: dict):
    fig, axes = subplots(1, 3, sharey=True)
    for ax, (strategy, rows) in zip(axes, nums["runs"].items()):
        n = [r["n"] for r in rows]
        ax.plot(n, [r["success"] for r in rows], "ko-", label="plug-in success")
        ax.plot(n, np.maximum([r["gbj"] for r in rows], 0), "C0s--", label="GBJ bound (negative at 0)")
        ax.plot(n, np.maximum([r["binomial"] for r in rows], 0), "C3^-.", label="binomial bound (negative at 0)")
        saved = nums["saved"].get(strategy, {})
        if saved:
            ax.plot([int(k) for k in saved], [max(v[0], 0) for v in saved.values()], "C0x", ls="none", ms=9, mew=2,
                    label="GBJ saved output")
        ax.set(title=strategy, xscale="log", xlabel="collective size $n$", ylim=(-0.03, 1.03))
    axes[0].set_ylabel("success / lower bound")
    figure_legend(fig, axes, ncol=2)
    return fig


def figures_collusion(nums: dict) -> list[Plot]:
    return [Plot("collusion_car", rf"Gauthier, Bach \& Jordan's car experiment, reproduced: their synthetic car table "
                                  rf"(${nums['rows']}$ rows, seed ${nums['seed']}$), $N = {nums['samples']}$ training and "
                                  rf"$N_{{test}} = {nums['test']}$ test rows, the signal fixing ${nums['fixed_columns']}$ "
                                  rf"of ${nums['columns']}$ columns, $y^* = $ {text(nums['target'])}, "
                                  rf"$\delta = {num(nums['delta'])}$, $n_{{est}} = {nums['n_est']}$ for unplanting; "
                                  r"negative bounds drawn at 0. Crosses: their saved outputs.", draw_collusion)]


def write_collusion(nums: dict) -> str:
    rows = []
    for strategy, runs in nums["runs"].items():
        saved = nums["saved"].get(strategy, {})
        for r in runs:
            s = saved.get(str(r["n"]))
            rows.append([strategy, f"${r['n']}$", f"${_f(r['success'], 5)}$", f"${_f(r['gbj'])}$",
                         f"${_f(s[0])}$" if s else "--", f"${_f(r['binomial'])}$"])
    nums_exact = nums["reproduced"]
    return (r"Gauthier, Bach \& Jordan (GBJ, ICML 2025) bound a collective's success from its own data. Their "
            r"feature-label planting bound is \texttt{gbj}; their feature-only and unplanting bounds, taken from their "
            r"code (the paper's Appendix B could be read only for Algorithm 1), are \texttt{gbj-feature-only} "
            r"and \texttt{gbj-unplanting}; critmass's binomial versions replace every Hoeffding deviation by an exact "
            r"binomial tail. The runs below are one \texttt{critmass simulate tabular --cars ... --fix ...} command "
            rf"each, on GBJ's car table drawn by their generator (seed ${nums['seed']}$), $|X^*| = {nums['x_star']}$. "
            rf"Of their ${nums['n_saved']}$ saved outputs at these sizes, ${nums_exact}$ are reproduced to the last bit "
            r"(the certified fraction is 0 or 1 there, so the value does not depend on the draw); in between it does."
            "\n\n" + table(["strategy", "$n$", "success", "GBJ bound", "GBJ saved", "binomial bound"], rows, "lrrrrr",
                            long=True)
            + "\n\n" + "\n\n".join(nums["results"].values()))


# ------------------------------------------------------------------------------------ several collectives

MULTI_IDS = ["multi-thm1", "multi-cor2", "multi-head-to-head"]


def demo_multi(a1, a2):
    """Two feature-label collectives on three signal points with rising base rival mass; opposite targets."""
    from theory.multi import make_multi

    p0 = [["1/5", "1/10"], ["1/10", "1/5"], ["3/20", "7/40"], [0, 0], [0, "1/40"], [0, "1/20"]]
    g1 = [3 + x % 3 for x in range(6)]
    g2 = [3 + (x + 1) % 3 for x in range(6)]
    return make_multi(p0, [(a1, g1, 0, Strategy.FEATURE_LABEL), (a2, g2, 1, Strategy.FEATURE_LABEL)])


def compute_multi(ctx: Context) -> dict:
    from theory import multi
    from theory.instance import success as single_success
    from verify.multi import search

    grid = [Fraction(k, 40) for k in range(1, 17 if ctx.quick else 21)]
    heat, bound = [], []
    for a1 in grid:
        row_s, row_b = [], []
        for a2 in grid:
            m = demo_multi(a1, a2)
            row_s.append(str(multi.success(m)[0]))
            row_b.append(str(multi.bound(m, 0)))
        heat.append(row_s)
        bound.append(row_b)
    tie = multi.make_multi([["1/2", "1/2"], [0, 0]], [("1/10", [1, 1], 0, Strategy.FEATURE_LABEL),
                                                      ("1/10", [1, 1], 1, Strategy.FEATURE_LABEL)])
    family = dict(max_x=2, max_y=2, weight=2 if ctx.quick else 3, alphas=("1/10", "3/10", "1/2"))
    return {"grid": [str(a) for a in grid], "rival_masses": ["0", "1/40", "1/20"], "signal_points": 3,
            "contours": [0.0, 0.5], "success_1": heat, "bound_1": bound,
            "instance": demo_multi(grid[0], grid[0]).to_json(),
            "tie": {"instance": tie.to_json(), "success": [str(s) for s in multi.success(tie)],
                    "alone": [str(single_success(tie.alone(k))) for k in range(2)]},
            "search": {name: search(name, **family) for name in ("alone", "multi-thm1")},
            "results": rendered(MULTI_IDS)}


def draw_multi(nums: dict):
    grid = [float(Fraction(a)) for a in nums["grid"]]
    s = np.array([[float(Fraction(v)) for v in row] for row in nums["success_1"]])
    b = np.array([[float(Fraction(v)) for v in row] for row in nums["bound_1"]])
    fig, ax = subplots()
    im = ax.pcolormesh(grid, grid, s, shading="nearest", cmap="Blues", vmin=0, vmax=1)
    cs = ax.contour(grid, grid, b, levels=nums["contours"], colors=["C1", "C3"], linestyles=["--", "-"])
    ax.clabel(cs, fmt={c: f"bound {c:g}" for c in nums["contours"]}, fontsize=8)
    ax.set(xlabel=r"rival's size $\alpha_2$ (target 1)", ylabel=r"own size $\alpha_1$ (target 0)")
    fig.colorbar(im, ax=ax, label=r"exact success $S_1$")
    return fig


def figures_multi(nums: dict) -> list[Plot]:
    masses = ", ".join(f"${m}$" for m in nums["rival_masses"])
    return [Plot("multi_heat", rf"Two collectives planting opposite labels on a shared signal set of "
                               rf"${nums['signal_points']}$ points (base rival mass {masses}): collective 1's exact "
                               rf"success (colour) over both sizes (${len(nums['grid'])}$ each), and where "
                               r"\texttt{multi-thm1}'s bound reaches "
                               + " and ".join(f"${num(c)}$" for c in nums["contours"]) + " (contours).", draw_multi)]


def write_multi(nums: dict) -> str:
    srch = nums["search"]
    alone, ours = srch["alone"], srch["multi-thm1"]
    fam = ours["family"]
    tie = nums["tie"]
    return (r"Several collectives act on one platform (Karan et al., FAccT 2025): each has its own size, signal "
            r"map, target and strategy, and the firm is Bayes-optimal on the mixture of all. Exact success of each "
            r"is computed in Fractions (\texttt{theory.multi}); a tie counts against every collective involved. Two "
            rf"collectives of size $1/10$ planting opposite labels on one fresh point get success "
            rf"{' and '.join(f'${v}$' for v in tie['success'])} (alone, each would get "
            rf"{' and '.join(f'${v}$' for v in tie['alone'])}). The bound \texttt{{multi-thm1}} and its "
            r"critical mass are derived here and proven by Z3 (\texttt{multi.point}, \texttt{multi.sum}); the "
            r"exhaustive search (\texttt{verify.multi.search}) over every instance of "
            rf"$|X| = {fam['max_x']}$, $|Y| = {fam['max_y']}$, masses in multiples of $1/{fam['weight']}$, every signal "
            rf"map and target, sizes in $\{{{', '.join(fam['alphas'])}\}}$ finds the single-collective Theorem 1 "
            rf"bound violated after ${alone['checked']}$ instance(s) (success ${alone['success']}$ against "
            rf"${alone['claim_value']}$), and \texttt{{multi-thm1}} violated on none of ${ours['checked']}$." "\n\n"
            + "\n\n".join(nums["results"].values()))


# --------------------------------------------------------------------------------------- Ben-Dov et al.

BENDOV_IDS = ["bendov-alpha-eff", "bendov-jtt-window"]


def compute_bendov(ctx: Context) -> dict:
    from theory.bendov import jtt_alpha_eff, jtt_success, window_success
    from theory.instance import make_instance, success

    lam = 4
    p0 = [["1/2", "1/4"], [0, "1/4"]]
    alphas = [Fraction(k, 400) for k in range(1, 400, 2 if ctx.quick else 1)]
    erm, jtt, eff, win = [], [], [], []
    for a in alphas:
        inst = make_instance(p0, [1, 1], 0, Strategy.FEATURE_LABEL, a)
        erm.append(str(success(inst)))
        jtt.append(str(jtt_success(inst, lam)))
        win.append(str(window_success(inst, lam)))
        eff.append(str(success(inst.with_alpha(jtt_alpha_eff(inst, lam)))))
    wrong = sum(e != j for e, j in zip(eff, jtt))
    return {"lambda": lam, "p0": p0, "n_alphas": len(alphas), "r_b": "1/4", "offset": 0.02, "alphas": [str(a) for a in alphas], "erm": erm, "jtt": jtt, "window": win,
            "erm_at_alpha_eff": eff, "alpha_eff_wrong": wrong, "window_wrong": sum(w != j for w, j in zip(win, jtt)),
            "strengthened": sum(j == "1" and e == "0" for j, e in zip(jtt, erm)),
            "weakened": sum(j == "0" and e == "1" for j, e in zip(jtt, erm)), "results": rendered(BENDOV_IDS)}


def draw_bendov(nums: dict):
    a = [float(Fraction(v)) for v in nums["alphas"]]
    fig, ax = subplots()
    for key, style, label in (("erm", "k-", "ERM (exact)"), ("jtt", "C3-", rf"JTT, $\lambda = {nums['lambda']}$ (exact)"),
                              ("erm_at_alpha_eff", "C0--", r"ERM at $\alpha_{eff}$ (the $\alpha_{eff}$ reading)")):
        shift = nums["offset"] if key == "erm_at_alpha_eff" else 0
        ax.step(a, [float(Fraction(v)) + shift for v in nums[key]], style, where="post", label=label)
    ax.set(xscale="log", xlabel=r"collective size $\alpha$", ylabel="success", ylim=(-0.05, 1.1))
    ax.legend(loc="center left")
    return fig


def figures_bendov(nums: dict) -> list[Plot]:
    return [Plot("bendov_window", rf"One signal point with base rival mass $r_b = {nums['r_b']}$ of the collective's: "
                                  r"exact success of ERM and of two-stage upweighting (JTT, "
                                  rf"$\lambda = {nums['lambda']}$) on ${nums['n_alphas']}$ sizes, and ERM's success at "
                                  rf"JTT's $\alpha_{{eff}}$ (offset by ${num(nums['offset'])}$ to stay visible).",
                 draw_bendov)]


def write_bendov(nums: dict) -> str:
    return (r"Ben-Dov, Fawkes, Samadi \& Sanyal (ICML 2024) show that distributionally robust (reweighting) learners "
            r"strengthen small collectives and weaken large ones, through the collective's effective size "
            r"$\alpha_{eff}$. Their printed statements could not be retrieved here; \texttt{bendov-alpha-eff} is the "
            r"effective size as the collective's share of the reweighted distribution (it is "
            r"\texttt{reweight-mixture}), and \texttt{bendov-jtt-window} states exactly when two-stage upweighting "
            r"plants (derived here; Z3 step \texttt{bendov.window}). On the instance of the figure "
            rf"(${nums['n_alphas']}$ sizes), JTT plants where ERM does not at ${nums['strengthened']}$ sizes "
            rf"(strengthened) and un-learns what ERM planted at ${nums['weakened']}$ (weakened); the window predicts "
            rf"the exact JTT success at every size (${nums['window_wrong']}$ misses), while reading the success off ERM "
            rf"at $\alpha_{{eff}}$ misses it at ${nums['alpha_eff_wrong']}$ sizes." "\n\n"
            + "\n\n".join(nums["results"].values()))


# ------------------------------------------------------------------------------------------------ privacy

PRIVACY_IDS = ["privacy-rr-bayes", "privacy-rr-finite", "privacy-group"]


def compute_privacy(ctx: Context) -> dict:
    from numerics.privacy import dpsgd_success, rr_exact, rr_success, zcdp_epsilon
    from theory.evaluate import evaluate

    k = 3
    eps_grid = [0.25, 0.5, 1.0, 2.0, 4.0]
    rr = []
    for eps in eps_grid:
        first = next(n for n in range(1, 20000) if rr_exact(n, eps, k) >= S_STAR)
        n_star = float(evaluate("privacy-rr-finite", "n_star", dict(eps_dp=eps, K=k, S_star=S_STAR)))
        sim = float(rr_success([first], eps, k, seeds=2000 if ctx.quick else 20000, seed=ctx.seed)[0])
        rr.append({"eps": eps, "n_exact": first, "n_bound": n_star, "simulated_at_n_exact": sim,
                   "exact_at_n_exact": rr_exact(first, eps, k)})
    sigmas = [0.0, 100.0, 300.0] if ctx.quick else [0.0, 30.0, 100.0, 300.0, 1000.0]
    ns = [5, 20, 80, 320] if ctx.quick else [5, 10, 20, 40, 80, 160, 320]
    steps, delta = 40 if ctx.quick else 60, 1e-5
    dp_seeds = 4 if ctx.quick else 16

    def dpsgd(part: dict) -> dict:  # one noise level: a part of the stage, saved as it finishes
        sigma = part["sigma"]
        out = dpsgd_success(ns, sigma, seeds=dp_seeds, target=1, steps=steps, seed=ctx.seed)
        caps = [min(1.0, float(evaluate("privacy-group", "upper", dict(
            n_c=1, eps_dp=min(zcdp_epsilon(sigma, steps, 2 * n, delta), 700.0), delta_dp=delta,
            S_0=max(out["success_0"], 1e-12))))) if sigma > 0 else 1.0 for n in ns]
        return {**out, "eps_one_record": zcdp_epsilon(sigma, steps, 1, delta), "cap": caps}

    dp = each(ctx, "dpsgd", [{"sigma": sigma} for sigma in sigmas], dpsgd)
    held = all(s <= c + 0.05 for d in dp for s, c in zip(d["success"], d["cap"]))
    return {"K": k, "S_star": S_STAR, "rr": rr, "cap_held": held, "cap_slack": 0.05, "clip": 1, "rows": 1000, "dpsgd_seeds": dp_seeds, "dpsgd": dp, "ns": ns, "steps": steps, "delta": delta,
            "seed": ctx.seed, "results": rendered(PRIVACY_IDS)}


def draw_privacy(nums: dict):
    fig, (a1, a2) = subplots(1, 2)
    eps = [r["eps"] for r in nums["rr"]]
    a1.plot(eps, [r["n_exact"] for r in nums["rr"]], "ko-", label="exact need")
    a1.plot(eps, [r["n_bound"] for r in nums["rr"]], "C3s--", label=r"privacy-rr-finite's $n^*$")
    a1.set(xscale="log", yscale="log", xlabel=r"$\varepsilon_{DP}$ (randomized response)",
           ylabel=rf"members for success {nums['S_star']}")
    a1.legend()
    for i, d in enumerate(nums["dpsgd"]):
        lab = r"$\sigma = 0$" if d["sigma"] == 0 else rf"$\sigma = {d['sigma']:g}$, $\varepsilon_1 = {d['eps_one_record']:.2g}$"
        a2.plot(d["n"], d["success"], "o-", color=f"C{i}", label=lab)
    a2.set(xscale="log", xlabel=f"collective size $n$ (of {nums['rows']})", ylabel="DP-SGD success", ylim=(0, 1.02))
    a2.legend()
    return fig


def figures_privacy(nums: dict) -> list[Plot]:
    return [Plot("privacy", rf"Left: members needed for success ${num(nums['S_star'])}$ at a fresh point through "
                            rf"$K = {nums['K']}$ randomized response, exactly and by the derived bound. Right: DP-SGD "
                            rf"(softmax regression, ${nums['steps']}$ full-batch steps, clipping ${nums['clip']}$, noise "
                            r"multiplier $\sigma$; $\varepsilon_1$ the zCDP-derived level for one record at "
                            rf"$\delta = {num(nums['delta'])}$), success of a planted trigger, mean over "
                            + f"${nums['dpsgd_seeds']}$ seeds.", draw_privacy)]


def write_privacy(nums: dict) -> str:
    rows = [[f"${num(r['eps'])}$", f"${r['n_exact']}$", f"${_f(r['n_bound'], 5)}$", f"${_f(r['exact_at_n_exact'], 4)}$",
             f"${_f(r['simulated_at_n_exact'], 4)}$"] for r in nums["rr"]]
    held = "every" if nums["cap_held"] else "not every"
    return (r"A platform that trains privately (Solanki et al., 2025) crowds out the collective. With label "
            r"randomized response the Bayes-optimal firm is unchanged (\texttt{privacy-rr-bayes}: the noisy joint is "
            r"an increasing affine map of the clean one, proven exactly and by Z3), so privacy costs nothing with "
            r"infinite data; with finite data the collective needs members growing like $1/\varepsilon^2$ "
            r"(\texttt{privacy-rr-finite}); against any $(\varepsilon, \delta)$-DP training group privacy caps it "
            rf"(\texttt{{privacy-group}}). The DP-SGD runs stayed under that cap (up to ${num(nums['cap_slack'])}$) at "
            rf"{held} size." "\n\n"
            + table([r"$\varepsilon_{DP}$", "exact need", "bound $n^*$", "exact success", "simulated"], rows, "rrrrr")
            + "\n\n" + "\n\n".join(nums["results"].values()))


# --------------------------------------------------------------------------------------------- populations

POPULATION_IDS = ["population-uniform", "population-budget"]
POPULATIONS = {
    "uniform": dict(c_max=0.9),
    "exponential": dict(mean=0.3),
    "lognormal": dict(median=0.4, sigma=0.6),
    "lognormal-mixture": dict(weights=[0.6, 0.4], medians=[0.1, 0.79], sigmas=[0.3, 0.005]),
    "point": dict(c=0.4),
}
GAMMA, DELTA, XI = 0.2, 1.0, 0.05


def compute_population(ctx: Context) -> dict:
    from numerics.population import cost_distribution, fixed_points, tipping_budget, willing
    from theory.evaluate import evaluate

    def population(part: dict) -> dict:  # one cost distribution: a part of the stage, saved as it finishes
        kind = part["kind"]
        prm = POPULATIONS[kind]
        d = cost_distribution(kind, **prm)
        G = willing(d, GAMMA, DELTA, XI)
        found = fixed_points(G, grid=1025 if ctx.quick else 4097)
        tips = [p["alpha"] for p in found["points"] if p["kind"] == "unstable"] + \
            [j["alpha"] for j in found["tipping_jumps"]]
        return {"params": prm, "points": found["points"], "jumps": found["tipping_jumps"],
                "certificate": found["certificate"],
                "budgets": {f"{t:.6f}": tipping_budget(d, GAMMA, DELTA, XI, t, points=20_001 if ctx.quick else 200_001)
                            for t in sorted(tips)}}

    out = dict(zip(POPULATIONS, each(ctx, "population", [{"kind": k} for k in POPULATIONS], population)))
    v = dict(gamma=GAMMA, c_max=POPULATIONS["uniform"]["c_max"], Delta=DELTA, xi=XI)
    closed = {w: float(evaluate("population-uniform", w, v)) for w in ("tipping", "stable_size", "investment")}
    return {"gamma": GAMMA, "Delta": DELTA, "xi": XI, "populations": out, "uniform_closed_form": closed,
            "n_populations": len(out), "results": rendered(POPULATION_IDS)}


def draw_population(nums: dict):
    from numerics.population import cost_distribution, willing

    a = np.linspace(0, 1, 2001)
    fig, ax = subplots()
    ax.plot(a, a, color="0.6", lw=0.8, label=r"$G(\alpha) = \alpha$")
    marks = {"stable": [], "unstable": [], "jump": []}
    for i, (kind, d) in enumerate(nums["populations"].items()):
        G = willing(cost_distribution(kind, **d["params"]), nums["gamma"], nums["Delta"], nums["xi"])
        ax.plot(a, G(a), color=f"C{i}", lw=1.2, label=kind)
        for p in d["points"]:
            marks["stable" if p["kind"] == "stable" else "unstable"].append((p["alpha"], f"C{i}"))
        marks["jump"] += [(j["alpha"], f"C{i}") for j in d["jumps"]]
    for key, marker, filled, label in (("stable", "o", True, "stable equilibrium"),
                                       ("unstable", "o", False, "tipping point"),
                                       ("jump", "D", False, "jump of $G$ across the diagonal")):
        if marks[key]:
            x = [m[0] for m in marks[key]]
            colors = [m[1] for m in marks[key]]
            ax.scatter(x, x, marker=marker, s=30, zorder=3, label=label, edgecolors=colors,
                       facecolors=colors if filled else "white")
    ax.set(xlabel=r"collective size $\alpha$", ylabel=r"share willing to join $G(\alpha)$")
    ax.legend(loc="lower right", ncol=2)
    return fig


def figures_population(nums: dict) -> list[Plot]:
    return [Plot("population", rf"$G(\alpha) = P(c < (1-\gamma) S(\alpha))$ for ${nums['n_populations']}$ cost "
                               rf"distributions ($\gamma = {num(nums['gamma'])}$, $S$ = Theorem 1's bound at "
                               rf"$\Delta = {num(nums['Delta'])}$, $\xi = {num(nums['xi'])}$). Filled: stable "
                               r"equilibria; open circles: tipping points; open diamonds: jumps of $G$ across the "
                               r"diagonal (one cost for all).", draw_population)]


def write_population(nums: dict) -> str:
    rows = []
    for kind, d in nums["populations"].items():
        pts = ", ".join(f"${p['alpha']:.4f}$ ({p['kind']})" for p in d["points"])
        jumps = ", ".join(f"${j['alpha']:.4f}$" for j in d["jumps"])
        budgets = ", ".join(f"${num(b, 4)}$" for b in d["budgets"].values())
        rows.append([kind, pts + ("; jump " + jumps if jumps else ""), budgets])
    cf = nums["uniform_closed_form"]
    return (r"Section 6 of the founding paper gives everyone one cost. With costs spread over a population, the "
            r"share willing to join a collective of size $\alpha$ is $G(\alpha) = F((1-\gamma)S(\alpha))$ and the "
            r"equilibria are its fixed points (\texttt{theory.population}); \texttt{numerics.population} finds every "
            r"one on $[0, 1]$ and certifies that none is missed (monotone $G$: a cell $[a, b]$ with $G(a) > b$ or "
            r"$G(b) < a$ holds none). A principal who recruits cheapest-first pays the budget below to carry the "
            r"population past each tipping point. For uniform costs the closed form gives tipping point "
            rf"${cf['tipping']:.6f}$, stable size ${cf['stable_size']:.6f}$ and budget ${num(cf['investment'], 6)}$, "
            r"equal to the numbers found (tested)." "\n\n"
            + table(["costs", "fixed points (stability)", "budget to tip"], rows,
                    r"p{0.18\linewidth}p{0.55\linewidth}p{0.17\linewidth}", long=True)
            + "\n\n" + "\n\n".join(nums["results"].values()))


STAGES = (
    Stage("collusion", "Finite samples: Gauthier, Bach and Jordan's experiment", 61, compute_collusion, write_collusion,
          figures_collusion, results=tuple(COLLUSION_IDS) + ("gbj",),
          summary="Gauthier, Bach & Jordan's car experiment, their saved outputs reproduced"),
    Stage("multi", "Several collectives", 62, compute_multi, write_multi, figures_multi, results=tuple(MULTI_IDS),
          summary="exact success of two collectives; multi-thm1 against an exhaustive search"),
    Stage("bendov", "Reweighting learners: Ben-Dov et al.", 63, compute_bendov, write_bendov, figures_bendov,
          results=tuple(BENDOV_IDS), summary="exact JTT firms: the window against the alpha_eff reading"),
    Stage("privacy", "Privacy: collective action against DP learners", 64, compute_privacy, write_privacy,
          figures_privacy, results=tuple(PRIVACY_IDS), summary="randomized response and DP-SGD against the bounds"),
    Stage("population", "Who joins: populations of costs", 65, compute_population, write_population,
          figures_population, results=tuple(POPULATION_IDS), summary="every equilibrium of a population of costs"),
)
