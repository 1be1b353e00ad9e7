"""Stage "gradient": Theorem 7 and Corollary 8 on a logistic GLM firm; Theorem 10's contraction on an MLP under
Byzantine gradients and under data points (Section 4)."""

from __future__ import annotations

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.resume import each
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import num
from theory.strategy import Strategy

VARIANTS = (Strategy.FEATURE_LABEL, Strategy.FEATURE_ONLY)
MODES = ("byzantine", "data")


def compute(ctx: Context) -> dict:
    from numerics.gradient import glm_data, glm_target, gradient_control, neutralize, theorem7_check, theorem10_check
    from theory.evaluate import evaluate

    n, d, n_alpha = (100, 3, 20) if ctx.quick else (200, 4, 50)
    pretrain, steps, eta = (300, 30, 0.1) if ctx.quick else (3000, 60, 0.1)
    ctl_alphas = np.array([0.1, 0.5]) if ctx.quick else np.array([0.05, 0.1, 0.2, 0.5, 1.0])
    points = 32 if ctx.quick else 48
    alphas = np.linspace(0.02, 1, n_alpha)
    sample = glm_data(ctx.seed, n=n, d=d)
    theta_star = glm_target(sample, ctx.seed)
    data: dict = {"seed": ctx.seed, "glm": {"n": n, "d": d, "alphas": alphas.tolist(), "n_alphas": n_alpha},
                  "control": {"alphas": ctl_alphas.tolist(), "n_alphas": len(ctl_alphas), "pretrain": pretrain, "steps": steps, "eta": eta,
                              "points": points}}
    for variant in VARIANTS:
        run = neutralize(alphas, sample, theta_star, feature_only=variant == Strategy.FEATURE_ONLY)
        check = theorem7_check(alphas, run)
        data["glm"][variant] = {
            "distance": run.distance.tolist(), "distance_bound": (-np.asarray(check["thm7_bound"])).tolist(),
            "g_P0": float(run.g_P0[0]), "g_Pprime": float(run.g_Pprime[0]), "mu": run.mu.tolist(),
            "slack_min": check["slack_min"], "cor8_alpha_star": float(check["cor8_alpha_star"]),
            "least_alpha_reaching_target": check["least_alpha_reaching_target"]}
    t = np.arange(steps + 1)

    def control(part: dict) -> dict:  # one mode: a part of the stage, saved as it finishes
        run, dist0, n_params = gradient_control(ctl_alphas, seed=ctx.seed, n_points=points, eta=eta, steps=steps,
                                                mode=part["mode"], pretrain=pretrain)
        check = theorem10_check(ctl_alphas, run, eta)
        C = np.asarray(check["C"])
        path_bound = (1 - eta * C[:, None]) ** t[None, :] * dist0  # [alphas, T + 1]
        return {"distance": run.distance.tolist(), "path_bound": path_bound.tolist(), "C": C.tolist(),
                "dist0": dist0, "parameters": n_params, "thm10_bound": check["thm10_bound"],
                "slack_min": check["slack_min"], "max_residual": check["max_residual"], "max_label": check["max_label"],
                "path_slack_min": float(np.min(path_bound - run.distance))}

    data["control"].update(zip(MODES, each(ctx, "control", [{"mode": mode} for mode in MODES], control)))
    byz = data["control"]["byzantine"]
    data["control"]["byzantine_first_alpha_bound_at_T"] = -float(evaluate("thm10", "bound", dict(
        eta=eta, C=byz["C"][0], T=steps, dist0=byz["dist0"])))
    data["glm"]["thm7_slack_min"] = min(data["glm"][v]["slack_min"] for v in VARIANTS)
    return data


def draw_glm(data: dict):
    g = data["glm"]
    alphas = np.asarray(g["alphas"])
    fig, axes = subplots(1, 2, sharey=True)
    top = max(max(g[v]["distance"]) for v in VARIANTS)
    for ax, variant in zip(axes, VARIANTS):
        v = g[variant]
        ax.plot(alphas, v["distance"], "C0o-", label=r"$\|\theta - \theta^*\|$ (measured)")
        ax.plot(alphas, v["distance_bound"], "C1--", label="Theorem 7 bound")
        ax.axvline(v["cor8_alpha_star"], color="C3", lw=0.8, label=r"Corollary 8 $\alpha^*$")
        ax.set(title=variant, xlabel=r"$\alpha$", ylim=(-0.05, 1.2 * top + 0.05))
    axes[0].set_ylabel(r"$\|\theta - \theta^*\|$")
    figure_legend(fig, axes, ncol=3)
    return fig


def draw_control(data: dict):
    c = data["control"]
    t = np.arange(c["steps"] + 1)
    fig, axes = subplots(1, 2, sharey=True)
    for ax, mode in zip(axes, MODES):
        for k, a in enumerate(c["alphas"]):
            ax.plot(t, c[mode]["distance"][k], f"C{k}-", label=rf"$\alpha = {num(a)}$: $\|\theta_t - \theta^*\|$")
            ax.plot(t[::3], c[mode]["path_bound"][k][::3], f"C{k}o", ls="none", mfc="none",
                    label=rf"$\alpha = {num(a)}$: $(1-\eta C)^t \|\theta_0 - \theta^*\|$")
        ax.set(title=mode + (f" ({c['points']} points)" if mode == "data" else ""), yscale="log", xlabel="step $t$")
    axes[0].set_ylabel(r"$\|\theta_t - \theta^*\|$")
    figure_legend(fig, axes, ncol=2)
    return fig


def figures(data: dict) -> list[Plot]:
    g, c = data["glm"], data["control"]
    return [
        Plot("gradient_glm", rf"$\|\theta - \theta^*\|$ of the logistic GLM firm against $\alpha$ (${g['n_alphas']}$ "
                             rf"sizes; $n = {g['n']}$, $d = {g['d']}$, seed ${data['seed']}$) with Theorem 7's bound and "
                             r"Corollary 8's critical mass, for the feature-label and feature-only strategies.", draw_glm),
        Plot("gradient_control", r"$\|\theta_t - \theta^*\|$ along gradient descent on a two-layer MLP "
                                 rf"($\eta = {num(c['eta'])}$, $T = {c['steps']}$, pretrained ${c['pretrain']}$ steps, "
                                 rf"seed ${data['seed']}$, ${c['n_alphas']}$ collective sizes) under gradient control, "
                                 r"with $(1 - \eta C)^t \|\theta_0 - \theta^*\|$ (circles, every third step); Byzantine "
                                 rf"gradients and ${c['points']}$ data points.", draw_control)]


def write(data: dict) -> str:
    g, c = data["glm"], data["control"]
    cor8 = "; ".join(rf"{v}: ${num(g[v]['cor8_alpha_star'])}$ against "
                     + ("none" if g[v]["least_alpha_reaching_target"] is None else
                        f"${num(g[v]['least_alpha_reaching_target'])}$") for v in VARIANTS)
    return (r"\paragraph{Gradient neutralizing (Theorem 7, Corollary 8).} A logistic-regression firm (Newton to "
            rf"convergence, float64) on a seeded base sample ($n = {g['n']}$, $d = {g['d']}$, seed ${data['seed']}$); the "
            rf"target $\theta^*$ is $\theta_0$ moved by half its norm. At ${g['n_alphas']}$ values of "
            rf"$\alpha \in [{num(min(g['alphas']))}, {num(max(g['alphas']))}]$ the least slack of Theorem 7's bound over "
            rf"both variants was ${num(g['thm7_slack_min'], 2)}$. Corollary 8's critical mass against the least grid "
            rf"$\alpha$ that reached $\theta^*$: {cor8}." "\n\n"
            rf"\paragraph{{Gradient control (Theorem 10).}} A two-layer tanh MLP (${c['byzantine']['parameters']}$ "
            rf"parameters, squared loss) trained by gradient descent with $\eta = {num(c['eta'])}$ for "
            rf"$T = {c['steps']}$ steps from a model pretrained ${c['pretrain']}$ steps; the collective redirects the "
            r"gradient towards $\theta^*$ with $\xi = 1/(2\eta)$, $C$ estimated along the path as "
            r"$\alpha \min_t \xi(\theta_t)$. Byzantine: the least slack of $(1-\eta C)^t \|\theta_0 - \theta^*\| - "
            rf"\|\theta_t - \theta^*\|$ along the path was ${num(c['byzantine']['path_slack_min'], 2)}$. Data points "
            rf"(${c['points']}$ members): the least-squares labels realized the target gradient to "
            rf"${num(c['data']['max_residual'], 2)}$, with labels up to ${num(c['data']['max_label'])}$ in absolute "
            rf"value; path slack ${num(c['data']['path_slack_min'], 2)}$.")


STAGE = Stage("gradient", "Gradient-based learners (Section 4)", 60, compute, write, figures,
              results=("thm7", "cor8", "thm10"),
              summary="Theorem 7 / Corollary 8 on a logistic GLM; Theorem 10 on an MLP")
