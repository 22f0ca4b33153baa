"""Multi-process training through torch.distributed (gloo on the CPU, as torchrun runs it)."""

import json
import socket

import pytest
import torch.multiprocessing as mp

from gan import rundir
from tests.gan.ddp_worker import run_rank


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("algo", ["wgan", "gan"])
def test_two_processes_keep_identical_models(tmp_path, algo):
    """Two ranks, each on its own data shard: after every step the critics (clipped) and the
    generators are bit-identical across ranks, and rank 0 alone writes the run."""
    mp.spawn(run_rank, args=(2, _free_port(), str(tmp_path), algo), nprocs=2, join=True)
    r0, r1 = (json.loads((tmp_path / f"rank{k}.json").read_text()) for k in (0, 1))
    for r in (r0, r1):
        assert r["critic_spread"] == 0.0 and r["generator_spread"] == 0.0
        # Trainer.close joined the group's threads: none is left to need the GIL at exit
        assert r["gloo_threads_after_close"] == []
    if algo == "wgan":
        assert r0["critic_max_abs"] <= 0.01 + 1e-9
    assert set(r0["first_indices"]).isdisjoint(r1["first_indices"])  # own shards
    rows = rundir.read_metrics(tmp_path)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5]  # one writer, no duplicates
