"""The divergences' tests run their torch code on one thread."""

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Thousands of tiny torch operations (Sinkhorn iterations on 150-1,000 points) cost the
    thread pool's overhead, not arithmetic: on 2 busy cores one thread is 20x faster (25,340
    log-domain Sinkhorn iterations on 150 points: 444 s with torch's 2 threads, 20 s with 1, at a
    load of 15). The values do not depend on it; the previous setting is restored after each test."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
