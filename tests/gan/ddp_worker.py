"""A rank of a two-process CPU (gloo) training run, started by torch.multiprocessing."""

import json
import os

import torch


def run_rank(rank: int, world: int, port: int, out: str, algo: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from gan.train import train
    from tests.gan.helpers import tiny

    run = train(tiny(out, algo=algo, generator_steps=5, data="synthetic:64"), progress=False)
    # train() left the process group on the way out: its gloo threads are joined
    params = {"critic": torch.cat([p.detach().flatten() for p in run.C.parameters()]),
              "generator": torch.cat([p.detach().flatten() for p in run.G.parameters()])}
    torch.save(params, os.path.join(out, f"rank{rank}.pt"))
    result = {"first_indices": run.data.order.order(0)[:4].tolist(),
              "gloo_threads_after_close": _gloo_threads()}
    with open(os.path.join(out, f"rank{rank}.json"), "w") as fh:
        json.dump(result, fh)


def _gloo_threads() -> list[str]:
    """Names of this process's gloo threads (Linux names threads in /proc/self/task)."""
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    return [n for n in names if "gloo" in n]
