"""Spreading a batch over the devices that are present: the leading (seed or instance) axis is sharded.

With one device this is the identity; with several, ``jax.jit`` sees a sharded input and runs each
device's slice there (GSPMD). Multi-host runs are described in docs/numerics.md (jax.distributed).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def batch_mesh() -> Mesh:
    """A one-axis mesh named ``batch`` over every device of the (possibly multi-host) run."""
    return Mesh(np.array(jax.devices()), ("batch",))


def shard_leading(x: jax.Array) -> jax.Array:
    """Place ``x`` with its leading axis split across devices, when there are several and it divides evenly."""
    count = jax.device_count()
    if count == 1 or x.shape[0] % count:
        return x
    return jax.device_put(x, NamedSharding(batch_mesh(), PartitionSpec("batch")))
