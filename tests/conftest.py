"""Shared pytest configuration: hypothesis profiles, the session's quick figures run, and a
seeded generator."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI machines vary in speed: no per-example deadline. The default profile is derandomised
# (the same examples on every run, so CI is reproducible); HYPOTHESIS_PROFILE=thorough
# explores 1000 fresh random examples per property.
settings.register_profile(
    "ci", deadline=None, max_examples=60, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# WGAN_TEST_DEVICE=cuda runs the tests that honour it (the trainer's smoke and resume tests
# through tests.gan.helpers.tiny, the torch paths of divergences in test_device.py) on a GPU;
# benchmarks/gpu.py does. Bit-exact resume there needs deterministic kernels and no TF32.
if os.environ.get("WGAN_TEST_DEVICE", "cpu").startswith("cuda"):
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS starts
    import torch

    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)


@pytest.fixture(autouse=True)
def _torch_threads_as_the_test_found_them():
    """Every test leaves torch's thread count as it found it. The toys' and experiments' runs
    set one thread for the whole process (they are meant for worker processes), and a test
    that calls one here (``toys.mixtures.train``, ``toys.mode_collapse.run_controls``) or sets
    it itself changed it for every test after it: their numbers then depended on the order
    the tests ran in (issue 24, item 13)."""
    import torch

    before = torch.get_num_threads()
    yield
    if torch.get_num_threads() != before:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def quick_figures(tmp_path_factory):
    """Every toy at its quick settings, run once per session through ``python -m figures
    --quick``'s own code (``figures.__main__.build``): the toy tests assert on these results,
    the figures tests on the files and the write-up that the same run wrote."""
    from figures.__main__ import build

    out = tmp_path_factory.mktemp("figures")
    return out, build(quick=True, seed=0, out=out)


@pytest.fixture(scope="session")
def toy_result(quick_figures):
    return lambda name: quick_figures[1][name]


@pytest.fixture(scope="session")
def gpu_tiny(tmp_path_factory):
    """``python -m benchmarks.gpu --tiny`` without its tests phase, once per session: the
    command's tests and the at-scale figure's read its output folder. Returns (output folder,
    state folder, exit status)."""
    from benchmarks import gpu

    out, state = tmp_path_factory.mktemp("gpu-out"), tmp_path_factory.mktemp("gpu-state")
    status = gpu.main(["--tiny", "--out", str(out), "--state", str(state), "--budget-seconds", "900",
                       "--phases", "install,throughput,experiments"])
    return out, state, status


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
