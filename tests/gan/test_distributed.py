"""Multi-process training through torch.distributed (gloo on the CPU, as torchrun runs it)."""

import json
import socket

import pytest
import torch
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
    p0, p1 = (torch.load(tmp_path / f"rank{k}.pt", weights_only=True) for k in (0, 1))
    for part in ("critic", "generator"):
        assert torch.equal(p0[part], p1[part]), part
    for r in (r0, r1):
        # train() closed the group and joined its threads: none is left to need the GIL at exit
        assert r["gloo_threads_after_close"] == []
    if algo == "wgan":
        assert p0["critic"].abs().max() <= 0.01 + 1e-9
    assert set(r0["first_indices"]).isdisjoint(r1["first_indices"])  # own shards
    rows = rundir.read_metrics(tmp_path)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5]  # one writer, no duplicates
