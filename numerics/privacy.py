"""Collective action against private learners, simulated: randomized response and DP-SGD (JAX).

theory/privacy.py derives what privacy costs a collective; here it is measured:

- ``rr_success`` / ``rr_exact``: n members plant a fresh signal point with label y*, the platform sees every
  label through K-ary randomized response at level eps and predicts the plurality at the point (ties against
  the collective). Simulated with jax.random over seeds (vmapped), and computed exactly (the multinomial law
  of the noisy counts, by a dynamic program over labels in float64), against privacy-rr-finite's bound.
- ``dpsgd_success``: softmax regression on one-hot features, trained by DP-SGD (per-example clipping to norm C,
  Gaussian noise of standard deviation sigma C on the summed gradient, full batch, T steps), vmapped over
  seeds and collective sizes. The collective sets a fresh trigger feature and the label y*. Its privacy
  level is that of T Gaussian mechanisms in zero-concentrated DP (Bun & Steinke 2016): rho = T/(2 sigma^2)
  per added or removed record; a collective that replaces n records is a group of 2n, with rho (2n)^2 and
  eps = rho + 2 sqrt(rho ln(1/delta)); the measured success is set against privacy-group's cap
  e^eps S_0 + delta.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln

from theory.errors import InputError


def keep_probability(eps: float, num_labels: int) -> float:
    """q = e^eps / (e^eps + K - 1): randomized response keeps a label with this probability."""
    if not eps > 0 or not np.isfinite(eps):
        raise InputError(f"eps = {eps}: expected a privacy level > 0")
    if num_labels < 2:
        raise InputError(f"num_labels = {num_labels}: expected at least 2 labels")
    return math.exp(eps) / (math.exp(eps) + num_labels - 1)


@functools.partial(jax.jit, static_argnames=("num_labels", "max_n"))
def _rr_hits(key, ns, q, num_labels, max_n):
    """[S, A] bools: does the plurality of n noisy labels (true label 0) stay 0, for each seed and size?"""
    def one(key):
        keep = jax.random.uniform(key, (max_n,)) < q                               # [M]
        other = 1 + jax.random.randint(jax.random.fold_in(key, 1), (max_n,), 0, num_labels - 1)
        label = jnp.where(keep, 0, other)                                          # [M] noisy labels

        def at(n):
            counts = jnp.zeros(num_labels, jnp.int32).at[label].add((jnp.arange(max_n) < n).astype(jnp.int32))
            return counts[0] > jnp.max(counts[1:])

        return jax.vmap(at)(ns)
    return jax.vmap(one)(key)


def rr_success(ns, eps: float, num_labels: int, seeds: int = 2000, seed: int = 0) -> np.ndarray:
    """[A] share of seeds whose noisy plurality at the planted point is y*, for each collective size n."""
    ns = np.asarray(ns, np.int32)
    if ns.ndim != 1 or ns.size == 0 or np.any(ns < 1):
        raise InputError(f"ns = {ns.tolist()}: expected positive collective sizes")
    q = keep_probability(eps, num_labels)
    keys = jax.random.split(jax.random.key(seed), seeds)
    hits = _rr_hits(keys, jnp.asarray(ns), q, num_labels, int(ns.max()))
    return np.asarray(hits).mean(axis=0)


def rr_exact(n: int, eps: float, num_labels: int) -> float:
    """P(noisy count of y* > every other label's count) for n planted points, exactly up to float64 rounding.

    Given a points keep y*, the other n - a are uniform over the K - 1 rivals; P(all rivals < a) is
    (n-a)! / (K-1)^(n-a) times the coefficient of t^(n-a) in (sum_{c<a} t^c/c!)^(K-1), by polynomial powers.
    """
    q = keep_probability(eps, num_labels)
    if n < 1:
        raise InputError(f"n = {n}: expected at least one collective member")
    total = 0.0
    for a in range(1, n + 1):
        rest = n - a
        if rest > (num_labels - 1) * (a - 1):
            continue  # some rival must reach a
        log_pa = gammaln(n + 1) - gammaln(a + 1) - gammaln(rest + 1) + a * math.log(q) + (
            rest * math.log1p(-q) if rest else 0.0)
        base = np.exp(-gammaln(np.arange(a) + 1))                                     # t^c / c!, c < a
        poly = np.array([1.0])
        for _ in range(num_labels - 1):
            poly = np.convolve(poly, base)[:rest + 1]
        coeff = poly[rest] if rest < poly.size else 0.0
        if coeff <= 0:
            continue
        log_cond = gammaln(rest + 1) - rest * math.log(num_labels - 1) + math.log(coeff)
        total += math.exp(log_pa + log_cond)
    return min(total, 1.0)


# ---- DP-SGD --------------------------------------------------------------------------------------------------

def dp_data(rows: int, features: int = 4, card: int = 4, labels: int = 3, seed: int = 0):
    """A seeded categorical classification task: one-hot features [R, F*card + 1] (last column: the trigger,
    0 for everyone) and labels [R] from a random linear teacher."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, card, size=(rows, features))
    x = np.zeros((rows, features * card + 1), np.float32)
    x[np.arange(rows)[:, None], np.arange(features) * card + codes] = 1.0
    teacher = rng.normal(size=(features * card + 1, labels)) * 1.5
    logits = x @ teacher + rng.gumbel(size=(rows, labels))
    return x, np.argmax(logits, axis=1).astype(np.int32)


@functools.partial(jax.jit, static_argnames=("steps", "labels"))
def _dpsgd(key, x, y, n, target, sigma, clip, lr, steps, labels):
    """Train one softmax regression by DP-SGD with the first n rows planted; return its weights."""
    rows, dim = x.shape
    planted = jnp.arange(rows) < n
    xs = x.at[:, -1].set(jnp.where(planted, 1.0, x[:, -1]))
    ys = jnp.where(planted, target, y)

    def loss(w, xi, yi):
        return -jax.nn.log_softmax(xi @ w)[yi]

    grads = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))

    def step(w, key):
        g = grads(w, xs, ys)                                                         # [R, D, Y]
        norm = jnp.sqrt(jnp.sum(g ** 2, axis=(1, 2), keepdims=True))
        g = g * jnp.minimum(1.0, clip / jnp.maximum(norm, 1e-12))
        noise = sigma * clip * jax.random.normal(key, (dim, labels))
        return w - lr * (g.sum(0) + noise) / rows, None

    w, _ = jax.lax.scan(step, jnp.zeros((dim, labels)), jax.random.split(key, steps))
    return w


def dpsgd_success(ns, sigma: float, *, rows: int = 1000, test: int = 500, target: int = 0, seeds: int = 16,
                  steps: int = 60, clip: float = 1.0, lr: float = 2.0, seed: int = 0) -> dict:
    """Success (share of test points with the trigger set that the model labels y*) per size n, mean over seeds.

    Returns {"n", "success" [A], "success_0" (no collective), "sigma"}.
    """
    if sigma < 0:
        raise InputError(f"sigma = {sigma}: expected a noise multiplier >= 0")
    x, y = dp_data(rows + test, seed=seed)
    xt = x[rows:].copy()
    xt[:, -1] = 1.0                                                                   # g(x): the trigger set
    x, y = jnp.asarray(x[:rows]), jnp.asarray(y[:rows])
    labels = int(y.max()) + 1
    ns = np.asarray(ns, np.int32)
    keys = jax.random.split(jax.random.key(seed + 1), seeds)
    train = jax.vmap(jax.vmap(lambda k, n: _dpsgd(k, x, y, n, target, sigma, clip, lr, steps, labels),
                              in_axes=(None, 0)), in_axes=(0, None))
    w = train(keys, jnp.asarray(np.concatenate([[0], ns])))                           # [S, A+1, D, Y]
    pred = jnp.argmax(jnp.einsum("td,sadl->satl", jnp.asarray(xt), w), axis=-1)       # [S, A+1, T]
    hit = np.asarray((pred == target).mean(axis=(0, 2)))
    return {"n": ns.tolist(), "success": hit[1:].tolist(), "success_0": float(hit[0]), "sigma": sigma}


def zcdp_epsilon(sigma: float, steps: int, group: int, delta: float) -> float:
    """eps of T Gaussian mechanisms (noise sigma x sensitivity) for a group of ``group`` added/removed records.

    rho = group^2 T / (2 sigma^2) (zCDP of the Gaussian mechanism, composition and group privacy; Bun & Steinke
    2016), converted to (eps, delta)-DP by eps = rho + 2 sqrt(rho ln(1/delta)). ``inf`` at sigma = 0.
    """
    if sigma == 0:
        return math.inf
    rho = group ** 2 * steps / (2 * sigma ** 2)
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))
