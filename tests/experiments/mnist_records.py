"""Synthetic run records in the layout of :func:`experiments.mnist_runs.train_record`: the experiments'
verdict logic asserted on known numbers, without training."""

import numpy as np

from experiments import mnist_runs

T = 32  # checkpoints


def record(name: str, seed: int, fd, stat=None, loss_g=None, *, recognisable: bool | None = None,
           cosine_neg=None, probes=None, confident=0.6, classes=10, class_kl=0.05) -> dict:
    """A run record; ``fd`` (and ``stat``, ``loss_g``) per checkpoint."""
    fd = np.asarray(fd, float)
    steps = list(range(20, 20 * (len(fd) + 1), 20))
    algo = mnist_runs.SPECS[name].algo if name in mnist_runs.SPECS else "gan"
    stat = np.zeros(len(fd)) if stat is None else np.asarray(stat, float)
    final = {"fd": float(fd[-1]), "confident": confident, "classes": classes, "class_kl": class_kl,
             "kid": float(fd[-1]) / 3, "w1": 10.0}
    if recognisable is None:
        recognisable = bool(mnist_runs.recognisable(final)[0])
    rec = {"name": name, "label": mnist_runs.SPECS.get(name, mnist_runs.SPECS["gan_dcgan"]).label, "seed": seed,
           "generator_steps": steps[-1], "config": {"algo": algo}, "steps": steps, "fd": fd.tolist(),
           "confident": [confident] * len(fd), "classes": [classes] * len(fd), "class_kl": [class_kl] * len(fd),
           "stat_key": "em_estimate" if algo == "wgan" else "js_lower_bound", "stat": stat.tolist(),
           "loss_g": (stat if loss_g is None else np.asarray(loss_g, float)).tolist(),
           "curve_steps": steps, "curve": stat.tolist(), "final": final, "recognisable": recognisable}
    if cosine_neg is not None:
        rec["cosine"] = {"negative_share": list(cosine_neg), "lowest": [-0.1 if c > 0 else 0.2 for c in cosine_neg],
                         "resolution": "every critic step", "count": 5 * len(fd),
                         "negative_total": int(round(5 * sum(cosine_neg))), "min": -0.1 if any(cosine_neg) else 0.2}
    if probes is not None:
        rec["probes"] = probes
    return rec


def falling(rng, level=1.0, t=T, start=900.0, end=100.0, noise=0.03):
    """An FD curve falling from ``start`` to about ``end`` * ``level``, with log-normal noise."""
    curve = start * (end * level / start) ** (np.arange(t) / (t - 1))
    return curve * np.exp(noise * rng.normal(size=t))


def sweep(values, reads=(100, 300, 1000, 3000), step=2500):
    v = np.asarray(values, float)
    return {"step": step, "steps": list(reads), "js_heldout": v.tolist(), "js_train": (v + 0.01).tolist(),
            "acc_heldout": [0.9] * len(v), "acc_train": [0.9] * len(v)}
