"""What the GPU command (:mod:`benchmarks.gpu`) does before it measures anything: install the
modules the image lacks from wheels, and run the tests that exercise the GPU paths.

    bash benchmarks/gpu_wheels.sh      # once, where PyPI is reachable: the wheels in .whl/

* :func:`install`: the modules of :data:`NEEDED` that this interpreter lacks, from the wheels in
  ``.whl/``: ``pip install --no-index --no-deps --target SITE`` (or, on an image without pip,
  the wheels unzipped there), then SITE on ``sys.path`` and ``PYTHONPATH`` (for the children);
* :func:`run_tests`: pytest on :data:`GPU_TESTS` (or :data:`TINY_TESTS`) with
  ``WGAN_TEST_DEVICE`` set, the counts and every failure read from its JUnit report
  (:func:`junit_counts`).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]

#: what the image lacks: import name -> distribution name (the wheels of gpu_wheels.sh)
NEEDED = {"ot": "POT", "lmdb": "lmdb", "mlxtend": "mlxtend", "threadpoolctl": "threadpoolctl",
          "array_api_compat": "array_api_compat"}

#: the tests that exercise the GPU paths, run with WGAN_TEST_DEVICE=cuda
GPU_TESTS = [
    "tests/gan/test_train.py::test_em_estimate_positive_when_real_and_fake_differ",
    "tests/gan/test_train.py::test_smoke_every_algorithm_and_architecture",
    "tests/gan/test_train.py::test_one_channel_mnist_end_to_end",
    "tests/gan/test_train.py::test_ema_of_the_generator",
    "tests/gan/test_train.py::test_adam_on_the_critic_and_extra_layers",
    "tests/gan/test_resume.py::test_resume_continues_exactly",
    "tests/gan/test_quality.py::test_trainer_eval_every_and_gan_evaluate",
    "tests/divergences/test_device.py",
]
#: the same path at --tiny: one trainer run and the divergences' torch paths
TINY_TESTS = [
    "tests/gan/test_train.py::test_smoke_every_algorithm_and_architecture[wgan-dcgan-dcgan-clip]",
    "tests/divergences/test_device.py::test_histogram_divergences_on_the_device",
]


def install(wheels: Path, site: Path, log: Callable[[str], None] = print) -> dict:
    """Install the modules of :data:`NEEDED` that this interpreter lacks from ``wheels`` into
    ``site`` (no index, no dependencies) and put ``site`` on ``sys.path`` and ``PYTHONPATH`` (for
    the children). ``log``: where its one progress line goes. Returns the phase's record:
    ``status`` ("done" or "failed"), ``installed`` and a ``note`` saying what failed."""
    _use_site(site)
    missing = {m: d for m, d in NEEDED.items() if importlib.util.find_spec(m) is None}
    if not missing:
        return {"status": "done", "installed": [], "note": "every module present"}
    files = sorted(Path(wheels).glob("*.whl"))
    by_name = {d.lower(): [w for w in files if w.name.split("-")[0].lower() == d.lower()] for d in missing.values()}
    absent = [d for d, ws in by_name.items() if not ws]
    if absent:
        return {"status": "failed", "installed": [], "note": f"no wheel for {', '.join(absent)} in {wheels}: "
                "run bash benchmarks/gpu_wheels.sh where PyPI is reachable, and send .whl/ with the call"}
    chosen = [str(ws[-1]) for ws in by_name.values()]
    log(f"install: {', '.join(Path(c).name for c in chosen)} into {site}")
    how = "pip"
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--upgrade",
               "--target", str(site), *chosen]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"status": "failed", "installed": [], "note": (proc.stderr or proc.stdout).strip()[-800:]}
    else:  # no pip on the image: a wheel is a zip of what goes into site-packages
        import zipfile

        how = "unzipped (no pip)"
        for w in chosen:
            with zipfile.ZipFile(w) as z:
                z.extractall(site)
    _use_site(site)
    still = [m for m in missing if importlib.util.find_spec(m) is None]
    if still:
        return {"status": "failed", "installed": chosen, "note": f"still missing after install: {still}"}
    return {"status": "done", "installed": [Path(c).name for c in chosen], "how": how}


def _use_site(site: Path) -> None:
    site = str(site)
    if Path(site).is_dir() and site not in sys.path:
        sys.path.insert(0, site)
        importlib.invalidate_caches()
    if Path(site).is_dir():
        parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if site not in parts:
            os.environ["PYTHONPATH"] = os.pathsep.join([site, *parts])


def run_tests(ids: list[str], device: str, log_file: Path, timeout: float,
              log: Callable[[str], None] = print) -> dict:
    """pytest on ``ids`` with ``WGAN_TEST_DEVICE=device``, its output in ``log_file``, stopped after
    ``timeout`` seconds. Returns the counts and every failure from its JUnit report, and the
    ``status``: "done" (every test passed), "failed" or "timed out"."""
    xml = log_file.with_suffix(".xml")
    xml.unlink(missing_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", WGAN_TEST_DEVICE=device, CUBLAS_WORKSPACE_CONFIG=":4096:8")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", *ids]
    log(f"tests: {len(ids)} selections on {device} (timeout {timeout:.0f} s; output in {log_file})")
    timed_out, code = False, None
    with open(log_file, "w") as fh:
        try:
            code = subprocess.run(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            timed_out = True
    res = junit_counts(xml)
    ok = code == 0 and res["failed"] == 0 and res["errors"] == 0 and res["passed"] > 0
    res.update(status="done" if ok else "timed out" if timed_out else "failed", device=device, timed_out=timed_out,
               exit_status=code)
    if not ok and not res["failures"]:  # nothing in the report (pytest did not start, or could not collect)
        res["failures"] = [f"pytest exit status {code}: " + " | ".join(_tail(log_file))]
    return res


def _tail(path: Path, n: int = 5) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-n:]
    except OSError as err:
        return [f"(its output {path} could not be read: {err})"]


def junit_counts(xml: Path) -> dict:
    """Passed, failed, errors, skipped and the failures' names and first message lines."""
    import xml.etree.ElementTree as ET

    res = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "failures": [], "seconds": None}
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        return res
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = {c.tag for c in case}
        if "failure" in kinds or "error" in kinds:
            res["failed" if "failure" in kinds else "errors"] += 1
            msg = next(c for c in case if c.tag in ("failure", "error")).get("message", "")
            res["failures"].append(f"{name}: {msg.splitlines()[0][:300] if msg else ''}")
        elif "skipped" in kinds:
            res["skipped"] += 1
        else:
            res["passed"] += 1
    suites = list(root.iter("testsuite"))
    if suites:
        res["seconds"] = round(sum(float(s.get("time", 0)) for s in suites), 1)
    return res
