"""A rank of a two-process CPU (gloo) training run, started by torch.multiprocessing."""

import json
import os

import torch
import torch.distributed as dist


def run_rank(rank: int, world: int, port: int, out: str, algo: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from gan.train import Trainer
    from tests.gan.helpers import tiny

    trainer = Trainer(tiny(out, algo=algo, generator_steps=5, data="synthetic:64"), progress=False)
    trainer.train()
    first_real = trainer.data.sampler.order(0)[:4].tolist()

    def spread(params) -> float:  # max over ranks of |p_rank - p_rank0|
        flat = torch.cat([p.detach().flatten() for p in params])
        gathered = [torch.zeros_like(flat) for _ in range(world)]
        dist.all_gather(gathered, flat)
        return max(float((g - gathered[0]).abs().max()) for g in gathered)

    result = {
        "critic_spread": spread(trainer.C.parameters()),
        "generator_spread": spread(trainer.G.parameters()),
        "critic_max_abs": max(float(p.detach().abs().max()) for p in trainer.C.parameters()),
        "first_indices": first_real,
    }
    trainer.close()  # every rank waits for the others, then the group is destroyed
    result["gloo_threads_after_close"] = _gloo_threads()
    with open(os.path.join(out, f"rank{rank}.json"), "w") as fh:
        json.dump(result, fh)


def _gloo_threads() -> list[str]:
    """Names of this process's gloo threads (Linux names threads in /proc/self/task)."""
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    return [n for n in names if "gloo" in n]
