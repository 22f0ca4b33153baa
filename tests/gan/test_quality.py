"""The feature network and the quality metrics: accuracy, caching, each metric against an
independent computation, the real-versus-real floor, gan.evaluate and --eval-every."""

import json

import numpy as np
import pytest
import torch
from scipy import linalg
from scipy.spatial.distance import cdist

from gan import features, quality
from gan.mnist import MNISTImages
from tests.gan.helpers import DEVICE, run_tiny


@pytest.fixture(scope="module")
def evaluator():
    return quality.Evaluator.for_data("mnist", 16)


def test_feature_network_accuracy_on_held_out_digits(evaluator):
    """Trained on the features part only; at least 97% on the 1,000 held-out digits."""
    held = MNISTImages(None, 16, "heldout")
    acc = features.accuracy(evaluator.net, held.array, held.labels)
    assert acc >= 0.97 and acc == pytest.approx(evaluator.net.heldout_accuracy)


def test_feature_network_is_cached_by_data_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(features, "EPOCHS", 1)  # the cache logic, not the accuracy, is tested here
    calls = []
    real = features.train_feature_net
    monkeypatch.setattr(features, "train_feature_net", lambda *a, **k: calls.append(1) or real(*a, epochs=1))
    a = features.load_feature_net(None, 16, verbose=False)
    b = features.load_feature_net(None, 16, verbose=False)
    assert len(calls) == 1  # the second came from the cache
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k])
    files = list((tmp_path / "wgan-toolkit" / "features").glob("mnist16-*.pt"))
    assert len(files) == 1
    files[0].write_bytes(b"corrupt")  # an unreadable cache file is retrained, not trusted
    features.load_feature_net(None, 16, verbose=False)
    assert len(calls) == 2
    features.load_feature_net(None, 32, verbose=False)  # another size, another network
    assert len(list((tmp_path / "wgan-toolkit" / "features").glob("mnist*.pt"))) == 2


def test_feature_network_is_the_same_whatever_the_callers_thread_count():
    """The cached network is shared by processes with 1 and 2 torch threads: it is trained on
    one thread, so it is the same network whichever process trained it."""
    from gan.mnist import load, split, to_size

    images, labels = load(None)
    part = split(labels).features[:640]
    x, y = to_size(images[part], 16), labels[part]
    before, nets = torch.get_num_threads(), []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            nets.append(features.train_feature_net(x, y, 16, epochs=1))
            assert torch.get_num_threads() == threads  # restored
    finally:
        torch.set_num_threads(before)
    for k, v in nets[0].state_dict().items():
        assert torch.equal(v, nets[1].state_dict()[k]), k


def test_precision_recall_against_the_definition(rng):
    real, fake = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) + 0.7
    p, r = quality.precision_recall(real, fake, k=3)

    def radius(x, i):  # distance to the 3rd nearest other point, by brute force
        return sorted(np.linalg.norm(x - x[i], axis=1))[3]

    in_real = [any(np.linalg.norm(f - real[j]) <= radius(real, j) for j in range(60)) for f in fake]
    in_fake = [any(np.linalg.norm(x - fake[j]) <= radius(fake, j) for j in range(50)) for x in real]
    assert p == np.mean(in_real) and r == np.mean(in_fake)


def test_kid_is_the_mean_of_unbiased_polynomial_mmd_over_subsets(rng):
    x, y = rng.normal(size=(80, 5)), rng.normal(size=(60, 5)) + 0.2
    mean, se = quality.kid(x, y, subsets=7, size=20, seed=3)
    pick = np.random.default_rng(3)
    vals = []
    for _ in range(7):
        a, b = x[pick.choice(80, 20, replace=False)], y[pick.choice(60, 20, replace=False)]
        k = lambda u, v: (u @ v.T / 5 + 1) ** 3  # noqa: E731
        Kxx, Kyy, Kxy = k(a, a), k(b, b), k(a, b)
        vals.append((Kxx.sum() - np.trace(Kxx)) / 380 + (Kyy.sum() - np.trace(Kyy)) / 380 - 2 * Kxy.mean())
    assert mean == pytest.approx(np.mean(vals), rel=1e-12)
    assert se == pytest.approx(np.std(vals, ddof=1) / np.sqrt(7), rel=1e-10)


def test_class_view():
    p = np.zeros((200, 10))
    p[:100, 3] = 1.0  # 100 confident threes
    p[100:, 5] = 0.6  # 100 unconfident fives
    p[100:, 6] = 0.4
    v = quality.class_view(p)
    assert v["confident"] == 0.5 and v["classes"] == 1
    assert v["class_kl"] == pytest.approx(np.log(10) - np.log(2))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # the reference sqrtm, on a singular product
def test_scores_of_real_and_disturbed_digits(evaluator):
    """The probe digits (unseen by the network) score near the floor; noisy ones far from it."""
    probe = MNISTImages(None, 16, "probe").array
    real = evaluator.score(probe)
    noisy = evaluator.score(np.clip(probe + np.random.default_rng(0).normal(0, 80, probe.shape), 0, 255).astype(np.uint8))
    assert set(real) == set(quality.METRICS)
    assert real["classes"] == 10 and real["confident"] > 0.9 and real["class_kl"] < 0.01
    assert noisy["fd"] > 10 * real["fd"] and noisy["kid"] > real["kid"] + 10 * noisy["kid_se"]
    f_fake, _ = features.embed(evaluator.net, probe)
    direct_fd = np.sum((f_fake.mean(0) - evaluator.ref_features.mean(0)) ** 2) + np.trace(
        np.cov(f_fake.T) + np.cov(evaluator.ref_features.T)
        - 2 * linalg.sqrtm(np.cov(f_fake.T) @ np.cov(evaluator.ref_features.T)).real)
    assert real["fd"] == pytest.approx(direct_fd, rel=1e-5)
    assert cdist(f_fake[:2], evaluator.ref_features[:2]).shape == (2, 2)


def test_evaluator_needs_a_feature_network():
    with pytest.raises(ValueError, match="--eval-every needs MNIST digits"):
        quality.Evaluator.for_data("synthetic", 16)


def test_trainer_eval_every_and_gan_evaluate(tmp_path, capsys):
    from gan.evaluate import main

    rows = run_tiny(tmp_path, data="mnist", generator_steps=4, eval_every=2, eval_samples=200, sample_every=2,
                    ema=0.5)
    scored = [r for r in rows if "fd" in r]
    assert [r["step"] for r in scored] == [2, 4]
    assert all(np.isfinite(r["fd"]) and np.isfinite(r["ema_fd"]) for r in scored)
    assert main([str(tmp_path), "--samples", "200"]) == 0
    lines = [json.loads(l) for l in (tmp_path / "evaluation.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [2, 4]
    # the same latents, the same generator (gan.evaluate runs it on the CPU: on a GPU the trainer's
    # images differ by float rounding, WGAN_TEST_DEVICE=cuda)
    assert lines[-1]["fd"] == pytest.approx(scored[-1]["fd"], rel=1e-6 if DEVICE == "cpu" else 1e-3)
    assert "ema_fd" in lines[0]
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["step", "generator", "FD"]
    for r in lines:  # the EMA generator's numbers are in the table too, on their own line
        assert any(line.startswith(f"{r['step']:>8}       raw {r['fd']:>8.3f}") for line in table)
        assert any(line.startswith(f"{r['step']:>8}       EMA {r['ema_fd']:>8.3f}") for line in table)


def test_gan_evaluate_refuses_runs_without_snapshots_or_features(tmp_path, capsys):
    from gan.evaluate import main

    run_tiny(tmp_path / "s", generator_steps=2)  # synthetic data: no feature network
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / "s")])
    assert e.value.code == 2 and "feature network" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nothing")])
    assert "not a run directory" in capsys.readouterr().err


def test_density_and_coverage_match_the_published_definitions(rng):
    """Naeem et al. 2020's formulas, written as loops; on two samples of one Gaussian the density is
    about 1 and the coverage about 1 - 2^-5 (their Lemma 2 for M = N and k = 5); a shifted sample
    covers less, a collapsed one (one point repeated) covers almost nothing."""
    real, fake = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    density, coverage = quality.density_coverage(real, fake)
    d_rr = cdist(real, real)
    radius = np.sort(d_rr, axis=1)[:, 5]  # the 5th neighbour, itself excluded
    d_rf = cdist(real, fake)
    assert density == pytest.approx(sum((d_rf[:, j] < radius).sum() for j in range(300)) / (5 * 300))
    assert coverage == pytest.approx(np.mean([(d_rf[i] < radius[i]).any() for i in range(300)]))
    assert 0.8 < density < 1.2 and 0.9 < coverage <= 1.0
    assert quality.density_coverage(real, fake + 1.5)[1] < 0.7 * coverage
    assert quality.density_coverage(real, np.repeat(fake[:1], 300, 0))[1] < 0.1


def test_evaluator_density_coverage_is_the_function(evaluator):
    probe = MNISTImages(None, 16, "probe").array[:300]
    s = evaluator.score(probe)
    f, _ = features.embed(evaluator.net, probe)
    d, c = quality.density_coverage(evaluator.ref_features, f)
    assert s["density"] == pytest.approx(d) and s["coverage"] == pytest.approx(c)


def test_validated_metrics_are_those_the_committed_validation_passed():
    """The single switch the experiments read (gan.quality.VALIDATED_METRICS) is the evidence:
    the metrics the committed full validation found valid for their purpose."""
    import json
    from pathlib import Path

    committed = json.loads((Path(__file__).resolve().parents[2] / "figures" / "quality_validation.json").read_text())
    assert committed["settings"]["quick"] is False
    assert tuple(committed["validated"]) == quality.VALIDATED_METRICS
    assert set(quality.VALIDATED_METRICS) <= set(quality.PURPOSE)
