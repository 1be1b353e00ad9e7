"""The persistent compilation cache: a second process loads every kernel the first one compiled."""

import json
import os
import subprocess
import sys
import textwrap

from numerics.compile_cache import configure

SCRIPT = textwrap.dedent("""
    import json
    import jax.monitoring as monitoring
    events = []
    monitoring.register_event_listener(lambda name, **kw: events.append(name))
    from numerics import exact
    exact.success_grid(exact.random_instances(0, 100, 6, 4, "erasure"), [0.1, 0.5, 0.9])
    count = lambda what: events.count("/jax/compilation_cache/" + what)
    print(json.dumps({"hits": count("cache_hits"), "misses": count("cache_misses")}))
""")


def test_a_second_process_compiles_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "CRITMASS_JAX_CACHE": str(tmp_path / "cache")}
    for k in [k for k in env if k.startswith("JAX_")]:
        del env[k]
    assert configure(env) == str(tmp_path / "cache")
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                                            check=True, timeout=600).stdout.strip().splitlines()[-1])
    first, second = run(), run()
    assert first["misses"] > 0 and first["hits"] == 0
    assert second == {"hits": first["misses"], "misses": 0}
    assert any((tmp_path / "cache").iterdir())
