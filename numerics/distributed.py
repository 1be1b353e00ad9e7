"""Several processes as one run (jax.distributed): each simulates a share of the seeds, all get every number.

Call ``initialize`` at the start of each process, before any other JAX work; numerics.finite.simulate then
splits the seeds over the processes (numerics.devices.process_share) and joins the results through JAX's
collectives: gloo between CPU processes, NCCL between GPUs across hosts. Because seed i is always keyed by
fold_in(root, i), the numbers are those of one process. tests/numerics/test_distributed.py starts two processes
on 127.0.0.1 and compares them with one.
"""

from __future__ import annotations

import jax

from theory.errors import InputError


def initialize(coordinator: str, num_processes: int, process_id: int, timeout_s: int = 120) -> None:
    """Join a run of ``num_processes`` processes coordinated at ``coordinator`` (host:port; process 0 serves it).

    Waits at most ``timeout_s`` seconds for the others. On CPU, cross-process collectives use gloo.
    """
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"coordinator = {coordinator!r}: expected HOST:PORT")
    if num_processes < 1 or not 0 <= process_id < num_processes:
        raise InputError(f"process {process_id} of {num_processes}: expected 0 <= process_id < num_processes")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id,
                               initialization_timeout=timeout_s)


def shutdown() -> None:
    """Leave the run (each process, at the end)."""
    jax.distributed.shutdown()
