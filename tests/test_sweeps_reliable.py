"""Every long command, killed, interrupted and shared, as a user runs it (subprocesses of ``python -m critmass``).

- SIGKILL at random moments: rows lost = 0 (every row on disk before a kill is there after, unchanged),
  recomputed = 0 (the rerun computes exactly the configurations missing), and the final numbers equal an
  uninterrupted run's, bit for bit.
- Two processes on one store compute each configuration once between them.
- SIGINT / SIGTERM: one line, exit 130 / 143, no traceback, no crash, also during XLA compilation.

The quick checks run by default; every kind and the 20 Ctrl-C runs are marked slow.
"""

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from numerics.exact import GENERATOR
from numerics.store import SweepStore, row_key

INSTANCE = {"p0": [["1/4", "1/4"], ["3/8", "1/8"]], "signal": [1, 1], "target": 1, "strategy": "feature-label",
            "alpha": "1/2"}
ALPHAS = "0.01,0.02,0.03,0.05,0.07,0.1,0.15,0.2,0.3,0.5,0.7,1"
#: One command per long command kind, each a grid of several configurations (``{inst}``: an instance file).
COMMANDS = {
    "exact": ["simulate", "exact", "--random", "40000", "--alphas", ALPHAS],
    # 4000 seeds: with the draws as multinomial counts an alpha of 100 seeds took ~30 ms, and the 12 rows could
    # all be committed between two polls of the store, so no kill fell inside the sweep; now ~0.15 s a row.
    "finite": ["simulate", "finite", "--instance", "{inst}", "--samples", "10000", "--test", "1000", "--seeds", "4000",
               "--alphas", ALPHAS],
    "tabular": ["simulate", "tabular", "--synthetic", "20000", "--alphas", ALPHAS, "--targets", "0,1"],
    "suboptimal": ["simulate", "suboptimal", "--alphas", ALPHAS, "--seeds", "4", "--steps", "50", "--samples", "500"],
    "reweight": ["simulate", "reweight", "--points", "40", "--instance-seeds", "0,1"],
    "gradient-glm": ["simulate", "gradient-glm", "--alphas", ALPHAS, "--samples", "100", "--dim", "3"],
    "gradient-mlp": ["simulate", "gradient-mlp", "--alphas", "0.1,0.2,0.5,1", "--pretrain", "200", "--steps", "20"],
    # 1000 epochs: a batch of two takes a few tenths of a second on the synthetic corpus; at 3 epochs (25 ms) the
    # sweep could end between two polls of the store and no kill fell inside it.
    "experiment": ["experiment", "--corpus", "synthetic", "--strategies", "1", "--seeds", "2", "--alphas", "0.05",
                   "0.1", "0.2", "0.3", "--epochs", "1000", "--batch", "2"],
}
#: Configurations per committed batch where it is not 1.
BATCH = {"tabular": 2, "experiment": 2}
CLOSING = re.compile(r"(\d+) configurations, (\d+) already in .*, (\d+) computed now(?:, (\d+) by other processes)?")


def _env():
    return {**os.environ, "PYTHONPATH": os.getcwd(), "JAX_PLATFORMS": "cpu"}


def _command(name, store, tmp_path, *extra):
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(INSTANCE))
    args = [a.format(inst=inst) for a in COMMANDS[name]]
    return [sys.executable, "-m", "critmass", *args, "--store", str(store), *extra]


def _kill_after_rows(proc, store, seen: int, target: int, rng, poll: float, max_pause: float) -> None:
    """SIGKILL ``proc`` once ``store`` holds ``target`` rows (it held ``seen``), after a random part of the time
    seen between two commits (at most ``max_pause`` s), or when it ends or 600 s pass; then reap it."""
    t0, last_change, gap = time.time(), None, 0.0
    while proc.poll() is None and seen < target and time.time() - t0 < 600:
        time.sleep(poll)
        now = len(_rows(store))
        if now != seen:
            if last_change is not None:
                gap = time.time() - last_change
            seen, last_change = now, time.time()
    time.sleep(rng.uniform(0, min(gap, max_pause)))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _rows(path) -> dict:
    """{key: (finished_at, canonical metrics)} of every finished row, read without the store's API."""
    if not Path(path).exists():
        return {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return {k: (t, m) for k, t, m in db.execute("SELECT key, finished_at, metrics FROM rows")}
        except sqlite3.OperationalError:  # the tables are not created yet
            return {}


def _closing_line(stderr: str) -> tuple[int, int, int, int]:
    """(total, already stored, computed now, computed by others) from the sweep's closing line."""
    found = CLOSING.findall(stderr)
    assert found, stderr
    total, resumed, computed, others = found[-1]
    return int(total), int(resumed), int(computed), int(others or 0)


def _run(cmd, **kw):
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=900, **kw)


def _reference(name, store, tmp_path):
    """The uninterrupted run, in this process (no interpreter start-up); returns the grid's size."""
    from critmass.cli import main

    assert main([str(a) for a in _command(name, store, tmp_path, "--quiet")[3:]]) == 0
    return len(_rows(store))


def kill_and_resume(name: str, tmp_path: Path, kills: int, seed: int) -> dict:
    """An uninterrupted reference run, then ``kills`` SIGKILLs at random moments of the sweep (each a run that
    resumes the store), then a final rerun; returns the figures the assertions check."""
    rng = random.Random(seed)
    ref_store, store = tmp_path / "reference.sqlite", tmp_path / "killed.sqlite"
    total = _reference(name, ref_store, tmp_path)
    lost = recomputed = killed_with_rows = 0
    for _ in range(kills):
        before = _rows(store)
        if len(before) + 1 > total - BATCH.get(name, 1):
            break  # no whole batch left to kill inside
        proc = subprocess.Popen(_command(name, store, tmp_path), env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # A random moment inside the sweep: after a random number of new rows, a random part of the time between
        # two commits as seen here (a fixed pause would outlast the whole sweep on a fast machine).
        _kill_after_rows(proc, store, len(before), rng.randint(len(before) + 1, total - BATCH.get(name, 1)), rng,
                         poll=0.002, max_pause=0.1)
        at_kill = _rows(store)
        killed_with_rows += len(before) < len(at_kill) < total
        lost += sum(1 for k, v in before.items() if at_kill.get(k) != v)
    before = _rows(store)
    out = _run(_command(name, store, tmp_path))
    assert out.returncode == 0, out.stderr
    total_, resumed, computed, _ = _closing_line(out.stderr)
    after, reference = _rows(store), _rows(ref_store)
    lost += sum(1 for k, v in before.items() if after.get(k) != v)
    recomputed += computed - (total - len(before))
    differ = sum(1 for k, (_, m) in reference.items() if after.get(k, (None, None))[1] != m)
    return {"total": total, "before_final": len(before), "resumed": resumed, "computed": computed, "lost": lost,
            "recomputed": recomputed, "differ": differ, "killed_with_rows": killed_with_rows,
            "rows": len(after)}


def _check(fig):
    print("figures:", json.dumps(fig, sort_keys=True))  # shown with pytest -rP: the figures docs/sweeps.md quotes
    assert fig["lost"] == 0 and fig["recomputed"] == 0 and fig["differ"] == 0, fig
    assert fig["rows"] == fig["total"] and fig["resumed"] == fig["before_final"], fig
    assert fig["killed_with_rows"] >= 1, f"no kill fell inside the sweep: {fig}"


def test_simulate_exact_killed_loses_and_recomputes_nothing(tmp_path):
    _check(kill_and_resume("exact", tmp_path, kills=1, seed=1))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_long_command_killed_at_random_loses_and_recomputes_nothing(tmp_path, name):
    _check(kill_and_resume(name, tmp_path, kills=3, seed=sum(map(ord, name))))


# ---- the report ------------------------------------------------------------------------------------------------

#: A reduced report: five quick stages of a few seconds each, one committed row each, and "finite" and
#: "population" one more per part (critmass.report.resume.each), so that kills fall between commits and inside a
#: stage; the whole report goes through the same path.
REPORT_STAGES = ("exact", "bendov", "finite", "multi", "population")
REPORT_CLOSING = re.compile(r"report: (\d+) report stages, (\d+) already in .*, (\d+) computed now")


def _report_command(out, *extra):
    stages = [a for key in REPORT_STAGES for a in ("--stage", key)]
    return [sys.executable, "-m", "critmass", "report", "--quick", "-o", str(out), *stages, *extra]


def _report_with_two_rows_saved(out, store) -> subprocess.Popen:
    """``critmass report`` started on ``out``, returned once its store holds two rows (or it ended, or 600 s)."""
    proc = subprocess.Popen(_report_command(out), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    t0 = time.time()
    while len(_rows(store)) < 2 and proc.poll() is None and time.time() - t0 < 600:
        time.sleep(0.02)
    return proc


def _stages_saved(store) -> int:
    if not Path(store).exists():
        return 0
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return db.execute("SELECT count(*) FROM rows WHERE kind = 'report-stage'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _untimed(value):
    """A stage's data without its wall-clock times (keys ``seconds`` and ``*_seconds``), the only numbers that
    differ between two runs of the same command."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "seconds" and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _stored(store) -> dict:
    """{key: data without timings} of every row (stage or part) of a report store, read without critmass."""
    return {k: _untimed(json.loads(json.loads(m)["data"])) for k, (_, m) in _rows(store).items()}


def _report_text(out) -> str:
    """report.tex with each stage's time masked (its only number that is not a result)."""
    return re.sub(r"Stage time: \$[^$]*\$", "Stage time: $T$", (Path(out) / "report.tex").read_text())


@pytest.mark.slow
def test_report_killed_at_random_loses_and_recomputes_no_stage_and_writes_the_same_report(tmp_path):
    from critmass.cli import main

    rng = random.Random(2023)
    ref, out = tmp_path / "reference", tmp_path / "killed"
    assert main([str(a) for a in _report_command(ref, "--quiet")[3:]]) == 0
    from critmass.report.stages.field import POPULATIONS
    from theory.instance import STRATEGIES

    # rows: the stages, and the parts of finite (one per strategy) and population (one per cost distribution)
    stages, rows = len(REPORT_STAGES), len(_rows(ref / "stages.sqlite"))
    assert _stages_saved(ref / "stages.sqlite") == stages and rows == stages + len(STRATEGIES) + len(POPULATIONS)
    store = out / "stages.sqlite"
    lost = killed_with_rows = 0
    for _ in range(3):
        before = _rows(store)
        if len(before) + 1 > rows - 1:
            break
        proc = subprocess.Popen(_report_command(out), env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # a random moment of the next stage or part
        _kill_after_rows(proc, store, len(before), rng.randint(len(before) + 1, rows - 1), rng, poll=0.005,
                         max_pause=1.0)
        at_kill = _rows(store)
        killed_with_rows += len(before) < len(at_kill) < rows
        lost += sum(1 for k, v in before.items() if at_kill.get(k) != v)
    before, stages_before = _rows(store), _stages_saved(store)
    done = _run(_report_command(out))
    assert done.returncode == 0, done.stderr
    found, resumed, computed = map(int, REPORT_CLOSING.findall(done.stderr)[-1])
    after = _rows(store)
    lost += sum(1 for k, v in before.items() if after.get(k) != v)
    fig = {"stages": stages, "rows": rows, "killed_with_rows": killed_with_rows, "lost": lost,
           "rows_before_final": len(before), "stages_resumed": resumed,
           "recomputed": computed - (stages - stages_before),
           "differ": sum(1 for k, v in _stored(ref / "stages.sqlite").items() if _stored(store).get(k) != v)}
    print("figures:", json.dumps(fig, sort_keys=True))
    assert (found, fig["lost"], fig["recomputed"], fig["differ"]) == (stages, 0, 0, 0), fig
    assert resumed == stages_before and len(after) == rows, fig
    assert killed_with_rows >= 1, f"no kill fell between two commits: {fig}"
    # the report written after the kills is the uninterrupted run's: every number, every line of LaTeX
    docs = [json.loads((d / "results.json").read_text()) for d in (ref, out)]
    assert _untimed(docs[0]) == _untimed(docs[1])
    assert _report_text(ref) == _report_text(out)
    # a rerun of the finished report computes nothing and writes the same report again
    again = _run(_report_command(out))
    assert again.returncode == 0 and REPORT_CLOSING.findall(again.stderr)[-1] == (str(stages), str(stages), "0")
    assert _untimed(json.loads((out / "results.json").read_text())) == _untimed(docs[1])


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_report_interrupted_says_what_is_saved_and_resumes(tmp_path, sig):
    out = tmp_path / "r"
    store = out / "stages.sqlite"
    proc = _report_with_two_rows_saved(out, store)
    proc.send_signal(sig)
    stdout, err = proc.communicate(timeout=600)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and stdout == "", err
    said = [line for line in err.splitlines() if line.startswith("critmass report: ")]
    saved = _stages_saved(store)
    assert len(_rows(store)) >= 2
    name, total = signal.Signals(sig).name, len(REPORT_STAGES)
    # stopped after the stage (or the part of "finite") in flight, or (all saved) while drawing and writing
    assert re.fullmatch(rf"critmass report: interrupted \({name}\): {saved} of {total} report stages( \(and \d of 3 "
                        rf"parts of the stage in flight\))? are saved in {re.escape(str(store))}; rerun the same "
                        rf"command to resume", said[-1]) or said[-1] == (
        f"critmass report: interrupted ({name}): all {total} report stages are saved in {store}; rerun the same "
        f"command to draw and write the report"), err
    done = _run(_report_command(out))
    assert done.returncode == 0, done.stderr
    found, resumed, computed = map(int, REPORT_CLOSING.findall(done.stderr)[-1])
    assert (found, resumed, computed) == (total, saved, total - saved)
    # every stage saved, the figures being drawn: the line says so and how to finish
    proc = subprocess.Popen(_report_command(out), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    err = ""
    while "computed now" not in err and proc.poll() is None:
        err += proc.stderr.readline()
    proc.send_signal(sig)
    stdout, rest = proc.communicate(timeout=600)
    assert proc.returncode == 128 + sig and stdout == "" and "Traceback" not in rest, err + rest
    assert (err + rest).rstrip().splitlines()[-1] == (
        f"critmass report: interrupted ({name}): all {total} report stages are saved in {store}; rerun the same "
        f"command to draw and write the report")


@pytest.mark.slow
def test_report_stopped_at_once_counts_its_stages_too(tmp_path):
    # GNU timeout -s INT signals the process and its group: two signals, so the report stops at once, inside a
    # stage's parts; the line must count the report's saved stages as well as the parts (it said "0 of 3 parts
    # of a report stage are saved" with 3 stages saved)
    out = tmp_path / "r"
    store = out / "stages.sqlite"
    proc = _report_with_two_rows_saved(out, store)
    proc.send_signal(signal.SIGINT)
    err = ""
    while "stopping after" not in err and proc.poll() is None:  # two signals sent at once may arrive as one
        err += proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=600)
    err += rest
    assert proc.returncode == 130 and "Traceback" not in err and stdout == "", err
    last = err.rstrip().splitlines()[-1]
    saved, total = _stages_saved(store), len(REPORT_STAGES)
    print(last)  # which of the two ends it was (pytest -rP)
    # at once (inside a stage's parts): the parts, then the stages; or the stop had finished first
    assert re.fullmatch(rf"critmass report: (stopped at once \(SIGINT\): \d+ of \d+ [^;]+ are saved in [^;]+, "
                        rf"those in flight are not; {saved} of {total} report stages|interrupted \(SIGINT\): "
                        rf"{saved} of {total} report stages( \(and \d of 3 parts of the stage in flight\))?) are saved "
                        rf"in {re.escape(str(store))}; rerun the same command to resume", last), err


# ---- two writers ---------------------------------------------------------------------------------------------

def test_two_processes_on_one_store_compute_each_configuration_once(tmp_path):
    store = tmp_path / "shared.sqlite"
    cmd = _command("exact", store, tmp_path)
    procs = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    lines = [_closing_line(err) for _, err in outs]
    total = lines[0][0]
    assert sum(computed for _, _, computed, _ in lines) == total, lines  # each configuration computed once
    for (_, resumed, computed, others) in lines:
        assert resumed + computed + others == total
    assert outs[0][0] == outs[1][0]  # both print the whole grid's table
    assert len(_rows(store)) == total


# ---- interrupts ------------------------------------------------------------------------------------------------

def _handles_signals(pid: int, timeout: float = 120.0) -> None:
    """Wait until critmass has taken over SIGTERM (bit 15 of SigCgt in /proc/PID/status): from then on its own
    code runs. Before that the interpreter itself is starting, which no program controls."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", status).group(1), 16)
        if caught >> (signal.SIGTERM - 1) & 1:
            return
        time.sleep(0.005)


def interrupt_at_random(tmp_path: Path, rng: random.Random, sig=signal.SIGINT, window: float = 12.0) -> dict:
    """Start ``simulate finite``, send ``sig`` at a random moment of its first ``window`` seconds after it
    started handling signals (imports, compilation, the sweep); return its exit code, stderr and rows left."""
    store = tmp_path / f"int{rng.random():.6f}.sqlite"
    proc = subprocess.Popen(_command("finite", store, tmp_path), env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _handles_signals(proc.pid)
    time.sleep(rng.uniform(0, window))
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=600)
    return {"code": proc.returncode, "stderr": err, "stdout": out, "rows": _rows(store)}


def _check_interrupt(run, sig, reference=None):
    code, err = run["code"], run["stderr"]
    assert code in (128 + sig, 0), (code, err)  # 0: it finished before the signal came
    assert "Traceback" not in err and "Segmentation" not in err and "Fatal" not in err, err
    if code:
        lines = [line for line in err.splitlines() if re.match(r"critmass( simulate)?: ", line)]
        assert lines and ("rerun the same command to resume" in lines[-1] or lines[-1].endswith(
            f"interrupted ({signal.Signals(sig).name})")), err
        assert run["stdout"] == ""
    for k, (_, metrics) in run["rows"].items() if reference is not None else ():  # what was saved is right
        assert reference[k][1] == metrics


@pytest.fixture(scope="module")
def finite_reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    assert _reference("finite", tmp / "ref.sqlite", tmp) == 12
    return _rows(tmp / "ref.sqlite")


def test_ctrl_c_and_sigterm_stop_in_one_line_without_a_traceback(tmp_path):
    rng = random.Random(16)
    for sig in (signal.SIGINT, signal.SIGTERM):
        _check_interrupt(interrupt_at_random(tmp_path, rng, sig), sig)


def test_a_signal_after_the_sweep_has_finished_never_kills_the_run_without_a_word(tmp_path):
    """SIGTERM from the sweep's closing line to the end of the process (the interpreter's teardown included): the
    run either stops in one line (143, nothing on stdout) or finishes (0, its whole table); never exit -15."""
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(INSTANCE))
    seen = set()
    for i, delay in enumerate((0.0, 0.05, 0.3, 0.6)):
        cmd = [sys.executable, "-m", "critmass", "simulate", "finite", "--instance", str(inst), "--samples", "2000",
               "--test", "500", "--seeds", "10", "--alphas", "0.1,0.5", "--store", str(tmp_path / f"a{i}.sqlite")]
        proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err = ""
        while "computed now" not in err and proc.poll() is None:
            err += proc.stderr.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        out, rest = proc.communicate(timeout=120)
        err += rest
        seen.add(proc.returncode)
        assert proc.returncode in (0, 143), (proc.returncode, err)
        assert "Traceback" not in err
        if proc.returncode == 0:
            assert out.count("\n") == 4, out  # header, rule, one line per alpha
        else:
            assert out == "" and err.rstrip().endswith("interrupted (SIGTERM)"), err
    assert 0 in seen  # some signal came after the command had returned


@pytest.mark.slow
def test_a_second_ctrl_c_stops_at_once_and_keeps_what_was_saved(tmp_path, finite_reference):
    store = tmp_path / "twice.sqlite"
    proc = subprocess.Popen(_command("finite", store, tmp_path), env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not _rows(store) and time.time() - t0 < 600:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode in (130, 0), err
    assert "Traceback" not in err
    if proc.returncode:
        assert "stopping after the configurations in flight" in err
        assert re.search(r"(stopped at once|interrupted) \(SIGINT\): \d+ of 12 configurations are saved", err), err
    rows = _rows(store)
    assert rows and all(finite_reference[k][1] == m for k, (_, m) in rows.items())


@pytest.mark.slow
def test_ctrl_c_at_20_random_moments_of_simulate_finite(tmp_path, finite_reference):
    rng = random.Random(2016)
    # The window: how long an uninterrupted run handles signals on this machine (a fixed window outlasts the whole
    # run on a fast machine and most signals would come after it finished).
    proc = subprocess.Popen(_command("finite", tmp_path / "timed.sqlite", tmp_path), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _handles_signals(proc.pid)
    t0 = time.time()
    assert proc.wait(timeout=600) == 0
    window = 0.9 * (time.time() - t0)
    runs = [interrupt_at_random(tmp_path, rng, window=window) for _ in range(20)]
    for run in runs:
        _check_interrupt(run, signal.SIGINT, finite_reference)
    crashes = sum(run["code"] not in (0, 130) for run in runs)
    tracebacks = sum("Traceback" in run["stderr"] for run in runs)
    print("figures:", json.dumps({"runs": len(runs), "exit_130": sum(run["code"] == 130 for run in runs),
                                  "finished_first": sum(run["code"] == 0 for run in runs), "crashes": crashes,
                                  "tracebacks": tracebacks}))
    assert (crashes, tracebacks) == (0, 0)
    assert sum(run["code"] == 130 for run in runs) >= 15  # most signals came while it ran


def test_store_show_and_export_read_a_finished_store(cli, cli_json, tmp_path):
    store = tmp_path / "s.sqlite"
    cli_json("simulate", "exact", "--random", "50", "--alphas", "0.1,0.5", "--seed", "4", "--store", store)
    before = store.read_bytes()
    doc = cli_json("store", "show", store)
    assert [(k["kind"], k["rows"], k["seeds"], k["failed"]) for k in doc["kinds"]] == [("exact", 2, [4], 0)]
    code, out, err = cli("store", "export", store, "--kind", "exact")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith(
        "kind,alpha,random.count,random.generator,random.nx,random.ny,random.strategy,")
    assert lines[1].startswith(f"exact,0.1,50,{GENERATOR},6,4,feature-label,") and ",4," in lines[1]
    code, _, err = cli("store", "export", store, "-o", tmp_path / "s.parquet", "--parquet")
    assert code == 0 and "wrote 2 rows" in err
    import pandas as pd
    frame = pd.read_parquet(tmp_path / "s.parquet")
    assert list(frame["alpha"]) == [0.1, 0.5] and list(frame["seed"]) == [4, 4]
    code, _, err = cli("store", "export", store, "--kind", "nope")
    assert code == 2 and "no rows of kind 'nope'" in err
    assert store.read_bytes() == before
    with SweepStore(store, readonly=True) as s:
        assert {row_key(r.kind, r.config) for r in s.rows()} == set(_rows(store))


def test_store_merge_of_shards_equals_the_whole_run(cli, cli_json, tmp_path):
    args = ("simulate", "exact", "--random", "40", "--alphas", "0.1,0.2,0.3,0.5,0.9")
    whole = cli_json(*args, "--store", tmp_path / "whole.sqlite")
    parts = [cli_json(*args, "--shard", f"{i}/2", "--store", tmp_path / f"p{i}.sqlite") for i in (1, 2)]
    assert sorted(r["alpha"] for p in parts for r in p["rows"]) == [0.1, 0.2, 0.3, 0.5, 0.9]
    code, out, err = cli("store", "merge", tmp_path / "all.sqlite", tmp_path / "p1.sqlite", tmp_path / "p2.sqlite")
    assert code == 0 and "5 rows added" in out, err
    assert {k: m for k, (_, m) in _rows(tmp_path / "all.sqlite").items()} == \
        {k: m for k, (_, m) in _rows(tmp_path / "whole.sqlite").items()}
    assert whole["rows"] == cli_json(*args, "--store", tmp_path / "all.sqlite")["rows"]  # read back, not recomputed
    code, _, err = cli(*args, "--shard", "3/2", "--store", tmp_path / "x.sqlite")
    assert code == 2 and "--shard '3/2'" in err
