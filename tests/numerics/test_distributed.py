"""Two local processes joined by jax.distributed give the numbers of one process (bounded in time)."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np

from numerics.finite import simulate
from theory.instance import make_instance

INSTANCE = ([["1/4", "1/8", 0], ["1/8", "1/8", "1/8"], [0, "1/16", "3/16"]], [2, 2, 2], 1, "feature-label", 1)
ARGS = ([0.02, 0.1, 0.4], 3000, 500, 11)  # 11 seeds: padded, then split over the two processes

SCRIPT = textwrap.dedent("""
    import json, sys
    from numerics.distributed import initialize, shutdown
    initialize(sys.argv[1], 2, int(sys.argv[2]), timeout_s=90)
    import jax
    from numerics.finite import simulate
    from theory.instance import make_instance
    inst = make_instance(*json.loads(sys.argv[3]))
    alphas, n_samples, n_test, seeds = json.loads(sys.argv[4])
    out = simulate(inst, alphas, n_samples, n_test, seeds, seed=7)
    print(json.dumps({"processes": jax.process_count(), **{k: v.tolist() for k, v in out.items()}}))
    shutdown()
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_pair(env) -> list[dict] | None:
    """Both processes' outputs, or None if the coordinator's port was taken meanwhile (the caller retries)."""
    address = f"127.0.0.1:{_free_port()}"
    cmd = lambda i: [sys.executable, "-c", SCRIPT, address, str(i), json.dumps(INSTANCE), json.dumps(ARGS)]
    procs = [subprocess.Popen(cmd(i), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(2)]
    try:
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:  # never leave a process behind, whatever happened
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode for p in procs):
        errors = "\n".join(err[-2000:] for _, err in results)
        if "address already in use" in errors.lower():
            return None
        raise AssertionError(f"a process failed:\n{errors}")
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in results]


def test_two_processes_give_the_numbers_of_one(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "CRITMASS_JAX_CACHE": "off", "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    for _ in range(3):
        pair = _run_pair(env)
        if pair is not None:
            break
    assert pair is not None, "no free port for the coordinator in three tries"
    one = simulate(make_instance(*INSTANCE), *ARGS, seed=7)
    assert [r.pop("processes") for r in pair] == [2, 2]
    for got in pair:
        assert set(got) == set(one)
        for k, v in one.items():
            np.testing.assert_array_equal(np.asarray(got[k]), v, err_msg=k)
    assert 0 < one["success_test"].mean() < 1  # a case where seeds differ, so a mix-up could not pass
