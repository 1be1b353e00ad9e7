"""Spreading a batch over every device of the run: devices of this process by sharding, processes by shares.

Within a process, ``spread`` splits a batch's leading axis over the local devices (``jax.jit`` then runs each
device's slice there). Across processes (``numerics.distributed.initialize`` first), each process takes a
contiguous share of the batch (``process_share``) and ``allgather`` joins the shares on every process through
jax.distributed's collectives (gloo on CPU, NCCL between GPUs). Work keyed per item (a seed's PRNG key is
fold_in(root, i)) gives the same numbers however it is split.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def local_mesh() -> Mesh:
    """A one-axis mesh named ``batch`` over this process's devices."""
    return Mesh(np.array(jax.local_devices()), ("batch",))


def spread(x: np.ndarray) -> jax.Array:
    """A host array [B, ...] placed with its leading axis split over this process's devices (B must divide
    evenly when there are several; callers pad)."""
    count = jax.local_device_count()
    if count == 1:
        return jax.device_put(x)
    if x.shape[0] % count:
        raise ValueError(f"batch of {x.shape[0]} does not split over {count} devices")
    return jax.device_put(x, NamedSharding(local_mesh(), PartitionSpec("batch")))


def process_share(count: int) -> tuple[int, int]:
    """(first, size) of this process's contiguous share of ``count`` items (count must divide evenly)."""
    procs = jax.process_count()
    if count % procs:
        raise ValueError(f"{count} items do not split over {procs} processes")
    size = count // procs
    return jax.process_index() * size, size


def allgather(x: np.ndarray) -> np.ndarray:
    """Every process's share [B_p, ...] joined along the leading axis, in process order, on every process."""
    if jax.process_count() == 1:
        return np.asarray(x)
    return np.asarray(multihost_utils.process_allgather(np.asarray(x), tiled=True))
