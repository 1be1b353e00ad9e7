"""Gradient-based firms of Section 4: a logistic-regression GLM (Theorem 7, Corollary 8, Proposition 9)
and a two-layer MLP trained by gradient descent under the collective's gradient control (Theorem 10).

Simulation layer (JAX, float64): every measured distance is set next to the bound theory.evaluate gives.
All expectations are exact over the finite base sample (its empirical distribution is P0).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from theory.errors import InputError
from theory.evaluate import evaluate

# ----------------------------------------------------------------------------------------------------------
# Convex risk minimization: the logistic-regression GLM firm.


class GLMData(NamedTuple):
    """A base sample: the empirical distribution P0 of a binary GLM."""

    x: np.ndarray  # [n, d] features
    y: np.ndarray  # [n] labels in {0, 1}


def glm_data(seed: int, n: int = 200, d: int = 4) -> GLMData:
    """A seeded base sample with Gaussian features and labels drawn from a logistic model."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    theta = rng.normal(size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-x @ theta))).astype(np.float64)
    return GLMData(x, y)


def point_loss(theta, x, y):
    """Logistic loss of one point; its gradient is the GLM form ``x (mu_theta(x) - y)``, mu = sigmoid."""
    z = x @ theta  # [d] . [d] -> []
    return jax.nn.softplus(z) - y * z


def risk(theta, x, y, weight):
    """The weighted risk ``sum_i weight_i loss(theta; x_i, y_i)`` (weights sum to one)."""
    return jnp.sum(weight * jax.vmap(point_loss, (None, 0, 0))(theta, x, y))  # [n] -> []


def newton_fit(x, y, weight, theta_init, steps: int = 40):
    """The risk minimizer by Newton's method (the firm converges: the risk is strictly convex here)."""
    grad, hess = jax.grad(risk), jax.hessian(risk)

    def step(theta, _):
        return theta - jnp.linalg.solve(hess(theta, x, y, weight), grad(theta, x, y, weight)), None

    theta, _ = jax.lax.scan(step, theta_init, None, length=steps)
    return theta


def mean_gradient(theta, x, y, weight):
    """``g_P(theta)``: the expected gradient under the weighted points."""
    return jax.grad(risk)(theta, x, y, weight)


def neutralizing_points(theta_star, data: GLMData, *, feature_only: bool = False, scale=None):
    """The paper's gradient-neutralizing distribution P' for a GLM, as weighted points.

    Feature-label: all mass on ``(x', 0)`` with ``x' = -g_P0(theta*)`` and label 0 < mu(x').
    Feature-only: each collective member keeps its label y; it plays ``x'`` if y < mu(x') (for
    y in {0, 1}: y = 0) and ``x = 0`` otherwise, whose gradient is zero. ``scale=r`` rescales x' to
    norm r (the direction is what neutralizes); ``None`` is the paper's ``x' = -g_P0(theta*)``.

    Returns (x [m, d], y [m], weight [m]) with m = n (feature-only) or 1.
    """
    n = data.x.shape[0]
    g0 = mean_gradient(theta_star, data.x, data.y, jnp.full(n, 1.0 / n))  # [d]
    x_prime = -g0 if scale is None else -scale * g0 / jnp.linalg.norm(g0)  # [d]
    if not feature_only:
        return x_prime[None, :], jnp.zeros(1), jnp.ones(1)
    below = data.y < jax.nn.sigmoid(x_prime @ theta_star)  # [n]: y < mu(x')
    x = jnp.where(below[:, None], x_prime[None, :], 0.0)  # [n, d]
    return x, jnp.asarray(data.y), jnp.full(n, 1.0 / n)


class NeutralizingRun(NamedTuple):
    """One firm's outcome under the gradient-neutralizing strategy at one alpha (all float64)."""

    distance: jax.Array  # [] ||theta - theta*||
    theta: jax.Array  # [d] the firm's model
    g_P0: jax.Array  # [] ||g_P0(theta*)||
    g_Pprime: jax.Array  # [] ||g_P'(theta*)||
    mu: jax.Array  # [] least eigenvalue of the mixture risk's Hessian along [theta, theta*]
    play: jax.Array  # [] probability p with which a member plays z'


def neutralize(alphas, data: GLMData, theta_star, *, feature_only=False, scale=None, steps=40) -> NeutralizingRun:
    """The firm's risk minimizer on ``(1 - alpha p) P0 + alpha p P'`` for each alpha, vmapped.

    ``p = min(1, ||g_P0|| / (alpha (||g_P'|| + ||g_P0||)))`` as in Theorem 7's strategy. mu is the
    least Hessian eigenvalue of the mixture risk at 9 points of the segment from theta to theta*,
    the strong convexity the proof of Theorem 7 uses.
    """
    with jax.enable_x64(True):
        alphas = _check_alphas(alphas)
        x0, y0 = jnp.asarray(data.x), jnp.asarray(data.y)  # [n, d], [n]
        n = x0.shape[0]
        theta_star = jnp.asarray(theta_star, dtype=jnp.float64)
        xp, yp, wp = neutralizing_points(theta_star, data, feature_only=feature_only, scale=scale)
        g0 = jnp.linalg.norm(mean_gradient(theta_star, x0, y0, jnp.full(n, 1.0 / n)))
        gp = jnp.linalg.norm(mean_gradient(theta_star, xp, yp, wp))
        x = jnp.concatenate([x0, xp])  # [n + m, d]
        y = jnp.concatenate([y0, yp])  # [n + m]
        theta0 = newton_fit(x0, y0, jnp.full(n, 1.0 / n), jnp.zeros(x0.shape[1]), steps)

        def one(alpha):
            play = jnp.minimum(1.0, g0 / (alpha * (gp + g0)))
            weight = jnp.concatenate([jnp.full(n, (1 - alpha * play) / n), alpha * play * wp])  # [n + m]
            theta = newton_fit(x, y, weight, theta0, steps)
            ts = jnp.linspace(0.0, 1.0, 9)[:, None]  # [9, 1]
            seg = theta[None, :] + ts * (theta_star - theta)[None, :]  # [9, d]
            hess = jax.vmap(jax.hessian(risk), (0, None, None, None))(seg, x, y, weight)  # [9, d, d]
            mu = jnp.min(jnp.linalg.eigvalsh(hess)[:, 0])
            return NeutralizingRun(jnp.linalg.norm(theta - theta_star), theta, g0, gp, mu, play)

        out = jax.jit(jax.vmap(one))(alphas)
        return jax.tree.map(np.asarray, out)


def theorem7_check(alphas, run: NeutralizingRun) -> dict:
    """Measured success ``-||theta - theta*||`` against Theorem 7's bound and Corollary 8's critical mass."""
    bound = evaluate("thm7", "bound", dict(alpha=np.asarray(alphas), g_P0=run.g_P0, g_Pprime=run.g_Pprime, mu=run.mu))
    alpha_star = evaluate("cor8", "critical_mass", dict(g_P0=float(run.g_P0[0]), g_Pprime=float(run.g_Pprime[0])))
    success = -run.distance
    reached = np.asarray(alphas)[run.distance <= 1e-8]
    return {
        "alpha": np.asarray(alphas).tolist(), "success": success.tolist(), "thm7_bound": np.asarray(bound).tolist(),
        "mu": run.mu.tolist(), "slack_min": float(np.min(success - bound)),
        "cor8_alpha_star": alpha_star, "least_alpha_reaching_target": float(reached.min()) if reached.size else None,
    }


def utility_gain(alphas, data: GLMData, v, U: float, *, scale: float | None = None) -> dict:
    """Proposition 9 for the linear utility ``u(theta) = v . theta``: measured gain against the bound.

    The collective targets ``theta* = theta0 + U v / ||v||^2`` with the neutralizing strategy scaled to
    feature norm ``scale`` (default: the r that maximizes the guarantee below). Along the ball of radius
    ``U / ||v||`` around theta0, that strategy's gradient norm is ``r sigmoid(r theta'.g/|g|) >= r
    sigmoid(-r (||theta0|| + U/||v||))``, a valid ``g_lb``; beta is the smoothness of the base risk,
    ``lambda_max(E x x^T) / 4``.
    """
    with jax.enable_x64(True):
        x0 = np.asarray(data.x)
        n = x0.shape[0]
        v = np.asarray(v, dtype=np.float64)
        theta0 = np.asarray(newton_fit(jnp.asarray(x0), jnp.asarray(data.y), jnp.full(n, 1.0 / n), jnp.zeros(x0.shape[1])))
    radius = np.linalg.norm(theta0) + U / np.linalg.norm(v)
    grid = np.linspace(1e-3, 20, 20001) / radius
    r = float(grid[np.argmax(grid / (1 + np.exp(grid * radius)))]) if scale is None else float(scale)
    theta_star = theta0 + U * v / (v @ v)
    run = neutralize(alphas, data, theta_star, scale=r)
    gain = run.theta @ v - theta0 @ v
    beta = float(np.linalg.eigvalsh(x0.T @ x0 / n)[-1] / 4)
    g_lb = r / (1 + np.exp(r * radius))
    bound = evaluate("prop9", "critical_mass", dict(beta=beta, U=U, g_lb=g_lb, grad_u=float(np.linalg.norm(v))))
    reached = np.asarray(alphas)[gain >= U * (1 - 1e-9)]
    return {
        "alpha": np.asarray(alphas).tolist(), "gain": gain.tolist(), "U": U, "beta": beta, "g_lb": g_lb,
        "scale": r, "prop9_alpha_star": bound, "cor8_alpha_star": float(run.g_P0[0] / (run.g_P0[0] + run.g_Pprime[0])),
        "least_alpha_reaching_gain": float(reached.min()) if reached.size else None,
    }


def _check_alphas(alphas):
    a = jnp.atleast_1d(jnp.asarray(alphas, dtype=jnp.float64))  # [k]
    if not bool(jnp.all((a > 0) & (a <= 1))):
        bad = float(a[~((a > 0) & (a <= 1))][0])
        raise InputError(f"alpha={bad:g} is outside its domain (0, 1]")
    return a


# ----------------------------------------------------------------------------------------------------------
# Gradient descent on a nonconvex model: the two-layer MLP and Theorem 10's gradient control.


def mlp_init(key, d: int, hidden: int):
    """Parameters of ``f(x) = w2 . tanh(w1 x + b1) + b2`` as a pytree (dict of arrays)."""
    k1, k2 = jax.random.split(key)
    return {"w1": jax.random.normal(k1, (hidden, d)) / jnp.sqrt(d), "b1": jnp.zeros(hidden),
            "w2": jax.random.normal(k2, (hidden,)) / jnp.sqrt(hidden), "b2": jnp.zeros(())}


def mlp(params, x):
    """One input: ``x [d] -> []``."""
    h = jnp.tanh(params["w1"] @ x + params["b1"])  # [hidden, d] @ [d] -> [hidden]
    return params["w2"] @ h + params["b2"]  # [hidden] . [hidden] -> []


class ControlRun(NamedTuple):
    """Gradient descent under gradient control, for one alpha, over T steps."""

    distance: jax.Array  # [T + 1] ||theta_t - theta*||
    xi: jax.Array  # [T] xi(theta_t) as the proof of Theorem 10 defines it, from the realized gradient
    residual: jax.Array  # [T] ||realized collective gradient - redirecting target||
    max_label: jax.Array  # [T] largest |y| the collective submits (data-point mode)


def gradient_control(alphas, *, seed: int = 0, n: int = 128, d: int = 3, hidden: int = 5, n_points: int = 48,
                     eta: float = 0.1, xi: float | None = None, steps: int = 60, mode: str = "data",
                     pretrain: int = 3000, shift: float = 0.5):
    """Theorem 10 with a two-layer MLP on squared loss, vmapped over alpha.

    The collective aims at the redirecting gradient ``g = -(1-alpha)/alpha g_P0(theta) + xi (theta -
    theta*)``. ``mode="byzantine"`` supplies ``g`` itself. ``mode="data"`` supplies data points: its
    members' own features ``x_j`` (n_points draws from the base feature distribution) with labels it
    picks. The squared-loss gradient of a point is ``(f(x_j) - y_j) grad f(x_j)``, so the collective's
    mean gradient is ``J^T r / m`` with residuals ``r_j = f(x_j) - y_j`` it can set freely: it solves
    the least-squares problem ``J^T r / m = g`` and submits ``y_j = f(x_j) - r_j``. This finds ``g``
    exactly iff the m x (number of parameters) Jacobian J has full column rank (so m >= the number of
    parameters); otherwise ``residual`` says by how much the realized gradient misses.

    theta0 is the base distribution's model after ``pretrain`` steps of gradient descent; theta* is
    theta0 moved by ``shift`` times its norm in a seeded random direction. ``xi`` defaults to 1/(2 eta)
    (the theorem needs xi < 1/(alpha eta)).

    Returns (ControlRun with leading axis alpha, theta0-theta* distance, the number of parameters).
    """
    if mode not in ("data", "byzantine"):
        raise InputError(f"mode {mode!r} is not one of: data byzantine")
    xi = 1 / (2 * eta) if xi is None else xi
    with jax.enable_x64(True):
        alphas = _check_alphas(alphas)
        key = jax.random.PRNGKey(seed)
        kx, ky, kp, kd, kc = jax.random.split(key, 5)
        x0 = jax.random.normal(kx, (n, d), dtype=jnp.float64)  # [n, d]
        a = jax.random.normal(ky, (d,), dtype=jnp.float64)
        y0 = jnp.sin(x0 @ a) + 0.1 * jax.random.normal(kd, (n,), dtype=jnp.float64)  # [n]
        xc = jax.random.normal(kc, (n_points, d), dtype=jnp.float64)  # [m, d] the collective's own features
        params = jax.tree.map(lambda t: t.astype(jnp.float64), mlp_init(kp, d, hidden))
        flat0, unravel = ravel_pytree(params)

        def f(theta, x):
            return mlp(unravel(theta), x)

        def base_grad(theta):
            loss = lambda t: 0.5 * jnp.mean((jax.vmap(f, (None, 0))(t, x0) - y0) ** 2)
            return jax.grad(loss)(theta)  # [p]

        theta0, _ = jax.lax.scan(lambda t, _: (t - 0.2 * base_grad(t), None), flat0, None, length=pretrain)
        direction = jax.random.normal(jax.random.fold_in(key, 7), theta0.shape, dtype=jnp.float64)
        theta_star = theta0 + shift * jnp.linalg.norm(theta0) * direction / jnp.linalg.norm(direction)

        def collective_grad(theta, target):
            if mode == "byzantine":
                return target, jnp.zeros(())
            jac = jax.vmap(jax.grad(f), (None, 0))(theta, xc)  # [m, p]
            r, *_ = jnp.linalg.lstsq(jac.T / n_points, target)  # [m]: J^T r / m = target
            labels = jax.vmap(f, (None, 0))(theta, xc) - r  # [m]
            return jac.T @ r / n_points, jnp.max(jnp.abs(labels))

        def one(alpha):
            def step(theta, _):
                g0 = base_grad(theta)
                target = -(1 - alpha) / alpha * g0 + xi * (theta - theta_star)
                gc, max_label = collective_grad(theta, target)
                dist = jnp.linalg.norm(theta - theta_star)
                # Once theta_t sits on theta* (to rounding) xi is 0/0 and constrains nothing.
                xi_t = jnp.where(dist > 1e-12, jnp.linalg.norm(gc + (1 - alpha) / alpha * g0) / dist, jnp.inf)
                new = theta - eta * ((1 - alpha) * g0 + alpha * gc)
                return new, (dist, xi_t, jnp.linalg.norm(gc - target), max_label)

            last, (dist, xi_t, res, lab) = jax.lax.scan(step, theta0, None, length=steps)
            dist = jnp.concatenate([dist, jnp.linalg.norm(last - theta_star)[None]])
            return ControlRun(dist, xi_t, res, lab)

        out = jax.jit(jax.vmap(one))(alphas)
        return jax.tree.map(np.asarray, out), float(jnp.linalg.norm(theta0 - theta_star)), int(theta0.size)


def theorem10_check(alphas, run: ControlRun, eta: float) -> dict:
    """Measured ``-||theta_T - theta*||`` against ``-(1 - eta C)^T ||theta_0 - theta*||``, C = alpha min_t xi(theta_t)."""
    alphas = np.asarray(alphas)
    steps = run.xi.shape[1]
    C = alphas * run.xi.min(axis=1)
    C = np.minimum(C, 1 / eta)  # eta C <= 1 is the theorem's hypothesis; a larger estimate would only loosen it
    bound = evaluate("thm10", "bound", dict(eta=eta, C=C, T=steps, dist0=run.distance[:, 0]))
    success = -run.distance[:, -1]
    return {"alpha": alphas.tolist(), "C": C.tolist(), "success": success.tolist(),
            "thm10_bound": np.asarray(bound).tolist(), "slack_min": float(np.min(success - bound)),
            "max_residual": float(run.residual.max()), "max_label": float(run.max_label.max())}


GLM_KIND, MLP_KIND, UTILITY_KIND = "gradient-glm", "gradient-mlp", "utility-gain"


def _groups(batch: list[dict]) -> list[list[int]]:
    """Indices of the batch's configurations that agree on every field but alpha (one vmapped call each)."""
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(batch):
        groups.setdefault(repr(sorted((k, v) for k, v in c.items() if k != "alpha")), []).append(i)
    return list(groups.values())


def glm_metrics(batch: list[dict]) -> list[dict]:
    """Theorem 7 / Corollary 8 per configuration {seed, samples, dim, feature_only, alpha}: ||theta - theta*||
    against the distance bound -thm7_bound, mu and Corollary 8's critical mass."""
    out: dict[int, dict] = {}
    for idx in _groups(batch):
        c0, grid = batch[idx[0]], [batch[i]["alpha"] for i in idx]
        data = glm_data(c0["seed"], n=c0["samples"], d=c0["dim"])
        run = neutralize(grid, data, glm_target(data, c0["seed"]), feature_only=c0["feature_only"])
        check = theorem7_check(grid, run)
        # Theorem 7 bounds success = -||theta - theta*|| from below: a distance bound of -thm7_bound.
        out.update({i: {"distance": float(run.distance[j]), "distance_bound": -check["thm7_bound"][j],
                        "mu": float(run.mu[j]), "slack": float(-check["thm7_bound"][j] - run.distance[j]),
                        "cor8_alpha_star": float(check["cor8_alpha_star"])} for j, i in enumerate(idx)})
    return [out[i] for i in range(len(batch))]


def mlp_metrics(batch: list[dict]) -> list[dict]:
    """Theorem 10 per configuration {mode, points, seed, steps, eta, pretrain, alpha}: ||theta_T - theta*||
    against -thm10_bound, the estimated C and the collective's largest residual."""
    out: dict[int, dict] = {}
    for idx in _groups(batch):
        c0, grid = batch[idx[0]], np.array([batch[i]["alpha"] for i in idx])
        run, dist0, n_params = gradient_control(grid, seed=c0["seed"], n_points=c0["points"], eta=c0["eta"],
                                                steps=c0["steps"], mode=c0["mode"], pretrain=c0["pretrain"])
        check = theorem10_check(grid, run, c0["eta"])
        out.update({i: {"distance_T": float(run.distance[j, -1]), "distance_bound": -float(check["thm10_bound"][j]),
                        "C": float(check["C"][j]), "distance_0": dist0, "parameters": n_params,
                        "max_residual": float(run.residual[j].max()), "max_label": float(run.max_label[j].max())}
                    for j, i in enumerate(idx)})
    return [out[i] for i in range(len(batch))]


def utility_metrics(batch: list[dict]) -> list[dict]:
    """Proposition 9 per configuration {seed, U, alpha} (u(theta) = theta_1 on the seed's GLM data): the gain
    reached, and the critical masses of Proposition 9 and Corollary 8."""
    out: dict[int, dict] = {}
    for idx in _groups(batch):
        c0, grid = batch[idx[0]], [batch[i]["alpha"] for i in idx]
        data = glm_data(c0["seed"])
        gain = utility_gain(grid, data, np.eye(data.x.shape[1])[0], c0["U"])
        shared = {k: gain[k] for k in ("beta", "g_lb", "scale", "prop9_alpha_star", "cor8_alpha_star")}
        out.update({i: {"gain": gain["gain"][j], **shared} for j, i in enumerate(idx)})
    return [out[i] for i in range(len(batch))]


def sweep_glm(store, *, seeds=(0,), samples: int = 200, dim: int = 4, feature_only=(False,),
              alphas=(0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0), **run_options) -> list:
    """Theorem 7 (kind ``gradient-glm``, also ``critmass simulate gradient-glm``): one row per (seed, variant,
    alpha), one alpha per batch, through numerics.sweep.run."""
    from numerics.sweep import run

    configs = [{"seed": s, "samples": samples, "dim": dim, "feature_only": fo, "alpha": a}
               for fo in feature_only for s in seeds for a in alphas]
    return run(store, GLM_KIND, configs, glm_metrics, **run_options)


def sweep_mlp(store, *, modes=(("byzantine", 48),), seeds=(0,), steps: int = 60, eta: float = 0.1,
              pretrain: int = 3000, alphas=(0.05, 0.1, 0.2, 0.5, 1.0), **run_options) -> list:
    """Theorem 10 (kind ``gradient-mlp``, also ``critmass simulate gradient-mlp``): one row per ((mode,
    members), seed, alpha), one alpha per batch, through numerics.sweep.run."""
    from numerics.sweep import run

    configs = [{"mode": m, "points": k, "seed": s, "steps": steps, "eta": eta, "pretrain": pretrain, "alpha": a}
               for m, k in modes for s in seeds for a in alphas]
    return run(store, MLP_KIND, configs, mlp_metrics, **run_options)


def sweep_utility(store, *, seeds=(0,), U: float = 0.5, alphas=(0.05, 0.1, 0.2, 0.5, 1.0), **run_options) -> list:
    """Proposition 9 (kind ``utility-gain``): one row per (seed, alpha), one alpha per batch."""
    from numerics.sweep import run

    configs = [{"seed": s, "U": U, "alpha": a} for s in seeds for a in alphas]
    return run(store, UTILITY_KIND, configs, utility_metrics, **run_options)


def sweep(store, *, data_seeds=(0, 1), alphas=tuple(float(a) for a in np.round(np.linspace(0.02, 1, 50), 4)),
          **run_options) -> list:
    """Section 4: Theorem 7 (both variants) and Proposition 9 over ``alphas``, Theorem 10 (data points with
    enough and too few members, and Byzantine) at 0.05, 0.1, 0.2, 0.5, 1; the rows of all four sweeps."""
    return (sweep_glm(store, seeds=data_seeds, feature_only=(False, True), alphas=alphas, **run_options)
            + sweep_utility(store, seeds=data_seeds, alphas=alphas, **run_options)
            + sweep_mlp(store, modes=(("data", 48), ("data", 16), ("byzantine", 48)), seeds=data_seeds,
                        **run_options))


def glm_target(data: GLMData, seed: int) -> np.ndarray:
    """theta0 moved by half its norm in a seeded direction: the collective's target model."""
    with jax.enable_x64(True):
        n, d = data.x.shape
        theta0 = np.asarray(newton_fit(jnp.asarray(data.x), jnp.asarray(data.y), jnp.full(n, 1.0 / n), jnp.zeros(d)))
    u = np.random.default_rng(seed + 1000).normal(size=d)
    return theta0 + 0.5 * np.linalg.norm(theta0) * u / np.linalg.norm(u)
