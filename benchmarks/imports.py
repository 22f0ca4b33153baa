"""Import time of ``divergences`` as whole processes, against its peers, and what each one loads.

    python -m benchmarks.imports [--repeats 7]

Every command runs in a fresh ``python -c`` process (interpreter start-up included, as a user
meets it), the commands in turn, ``repeats`` times; the median wall time of each is reported with
the heavy modules it left in ``sys.modules``. The peers are ``import ot`` (POT, which loads every
array library it finds: torch among them) and ``import torch``; ``python -c pass`` and ``import
numpy`` are the floor. Target: ``import divergences`` under 0.5 s, without torch, POT or
scipy.stats; its numpy-only calls (histograms, 1-D W, MMD, the closed forms, the Frechet distance)
load neither torch nor POT.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

#: modules whose presence in sys.modules says that a heavy dependency was imported
HEAVY = ("torch", "ot", "scipy", "scipy.stats", "sklearn", "pandas", "networkx", "matplotlib")

NUMPY_CALLS = ("import numpy as np; r = np.random.default_rng(0); x, y = r.normal(size=(200, 3)), "
               "r.normal(size=(200, 3)); D.kl([1, 2], [2, 1]); D.js([1, 2], [2, 1]); "
               "D.wasserstein(x[:, 0], y[:, 0], r.random(200), r.random(200)); D.mmd2(x, y); "
               "D.kl_gaussian_1d(0, 1, 1, 2); D.tv_gaussian_1d(0, 1, 1, 2); D.frechet_distance(x, y)")

COMMANDS = {
    "python -c pass": "pass",
    "import numpy": "import numpy",
    "import divergences": "import divergences",
    "import divergences + numpy calls": "import divergences as D; " + NUMPY_CALLS,
    "import ot": "import ot",
    "import torch": "import torch",
}


def run_once(statement: str) -> tuple[float, list[str]]:
    """Wall time of ``python -c statement`` and the heavy modules it loaded."""
    probe = f"{statement}\nimport sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, json.loads(out.splitlines()[-1])


def measure(commands: dict[str, str], repeats: int, progress: bool = True) -> dict[str, dict]:
    """Median seconds and loaded modules of each command, interleaved ``repeats`` times."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    loaded: dict[str, list[str]] = {}
    for i in range(repeats):
        for name, statement in commands.items():
            seconds, loaded[name] = run_once(statement)
            times[name].append(seconds)
        if progress:
            print(f"  round {i + 1}/{repeats} done", file=sys.stderr, flush=True)
    return {k: {"seconds": statistics.median(v), "all_seconds": v, "loaded": loaded[k]} for k, v in times.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.imports", description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="rounds of every command (default 7)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats must be at least 1, got {args.repeats}")
    from .common import cpu_model

    result = measure(COMMANDS, args.repeats)
    print(f"CPU: {cpu_model()}; python {sys.version.split()[0]}; median of {args.repeats} fresh processes each")
    for name, r in result.items():
        print(f"  {name:<34s} {r['seconds']:6.3f} s   loads: {', '.join(r['loaded']) or '-'}")
    ours = result["import divergences"]["seconds"]
    for peer in ("import ot", "import torch"):
        print(f"  import divergences / {peer:<14s} {ours / result[peer]['seconds']:6.3f}")
    print(f"  import divergences: {ours:.3f} s, target < 0.5 s; torch loaded: "
          f"{'torch' in result['import divergences']['loaded']}")
    return result


if __name__ == "__main__":
    main()
