"""python -m gan.compare on two small folders, on arrays of images and of features, on a run
directory; its errors; and KID's convention against torchmetrics' formula."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

import divergences as D
from gan import compare
from gan.mnist import MNISTImages


def _digits(part: str, n: int) -> np.ndarray:
    """n real 28 x 28 digits (uint8) drawn at random from one part of the fixed MNIST split (whose
    digits come class by class: the first n would be two or three classes)."""
    images = MNISTImages(None, 32, part).array[:, 2:30, 2:30, 0]
    return images[np.random.default_rng(len(part)).choice(len(images), n, replace=False)]


def _folder(path, images, fmt="png"):
    path.mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im).save(path / f"{i:04d}.{fmt}")
    return path


def _run(argv, capsys):
    """Exit status, standard output and standard error of ``python -m gan.compare argv``."""
    try:
        code = compare.main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's exit for bad input: status 2
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def digit_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    real = _folder(root / "real", _digits("heldout", 300))
    probe = _folder(root / "probe", _digits("probe", 150), fmt="jpg")
    return root, real, probe


def test_two_folders_of_digits_in_the_mnist_feature_space(digit_folders, capsys):
    """Real digits against real digits sit at the floor; noisy digits far above it, on every
    validated metric; the table names the feature space and marks precision/recall."""
    root, real, probe = digit_folders
    code, out, _ = _run([probe, real, "--json"], capsys)
    r = json.loads(out)
    assert code == 0 and "MNIST classifier" in r["feature_space"] and r["warning"] is None
    assert r["split"] == {"n": 150, "reference": 150}
    a, floor = r["a_vs_b"], r["floor"]
    # two real samples: at the floor (FD 90.8 against 87.7 at n = 150 in 128-d), no detectable gap
    # (the MMD test's p > 0.01 would fail 1% of fresh draws of two real samples; the digits and the
    # permutations are seeded, so the outcome is fixed)
    assert a["fd"] < 1.2 * floor["fd"] and a["kid"] < floor["kid"] + 3 * a["kid_se"] and a["mmd_p_value"] > 0.01
    noisy = np.clip(_digits("probe", 150) + np.random.default_rng(0).normal(0, 90, (150, 28, 28)), 0, 255)
    np.save(root / "noisy.npy", noisy.astype(np.uint8))
    code, out, _ = _run([root / "noisy.npy", real, "--json", "--metrics", "fd,kid,w1,mmd-test"], capsys)
    n = json.loads(out)["a_vs_b"]
    # noisy digits (sd 90 of 255): FD 294, KID 100 +- 4 (real: 13 +- 3), W1 21 (17), p = 0.001
    assert n["fd"] > 2 * a["fd"] and n["kid"] > a["kid"] + 5 * n["kid_se"] and n["w1"] > a["w1"]
    assert n["mmd_p_value"] <= 0.01
    code, out, _ = _run([probe, real], capsys)
    assert "feature space: the MNIST classifier's 128 features" in out
    # marked from gan.quality.VALIDATED_METRICS: recall passed its checks, precision did not
    assert "precision (not validated)" in out and "recall (not validated)" not in out and "recall" in out
    assert "B vs B (floor)" in out and "WARNING" not in out


def _fid_formula(x, y):
    """FD by the textbook formula with scipy's sqrtm (pytorch-fid's), independent of divergences."""
    from scipy import linalg

    m1, m2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_arrays_of_features_are_compared_as_given(tmp_path, capsys):
    """(N, D) arrays: A vs B is all of A against all of B (as pytorch-fid and torch-fidelity), equal to
    FID's formula computed independently (1e-6 relative); the floor is B's first half against its
    second."""
    r = np.random.default_rng(3)
    fa, fb = r.normal(size=(200, 5)), r.normal(size=(400, 5)) + 1.0
    np.save(tmp_path / "a.npy", fa)
    np.savez(tmp_path / "b.npz", features=fb)
    code, out, _ = _run([tmp_path / "a.npy", tmp_path / "b.npz", "--json", "--metrics", "fd,w1"], capsys)
    res = json.loads(out)
    assert code == 0 and res["feature_space"] == "the given features (5-d)" and res["n"] == 200
    perm = np.random.default_rng(0).permutation(400)
    b2 = fb[perm[200:]]
    assert res["n"] == 200 and res["n_reference"] == 400
    assert res["a_vs_b"]["fd"] == pytest.approx(_fid_formula(fa, fb), rel=1e-6)  # all against all
    assert res["a_vs_b"]["fd"] != pytest.approx(_fid_formula(fa, b2), rel=1e-3)  # not against a half
    assert res["a_vs_b"]["fd"] == pytest.approx(5.0, abs=1.0)  # ||shift||^2 = 5
    assert res["floor"]["fd"] == pytest.approx(_fid_formula(fb[perm[:200]], b2), rel=1e-6)


def test_pytorch_fid_statistics_give_fd_only(tmp_path, capsys):
    r = np.random.default_rng(4)
    fa, fb = r.normal(size=(300, 4)), r.normal(size=(300, 4)) + 0.5
    np.save(tmp_path / "a.npy", fa)
    np.savez(tmp_path / "stats.npz", mu=fb.mean(0), sigma=np.cov(fb, rowvar=False))
    code, out, _ = _run([tmp_path / "a.npy", tmp_path / "stats.npz", "--json"], capsys)
    res = json.loads(out)
    assert res["a_vs_b"]["fd"] == pytest.approx(D.frechet_distance(fa, fb), rel=1e-10)
    assert res["a_vs_b"]["kid"] is None and res["floor"] is None
    code, out, _ = _run([tmp_path / "a.npy", tmp_path / "stats.npz"], capsys)
    assert "n/a" in out and "floor: none (B is Gaussian statistics (mu, sigma): no samples to split)" in out
    assert "needs at least" not in out


def test_save_stats_writes_pytorch_fid_statistics(tmp_path, capsys, digit_folders):
    """--save-stats A OUT.npz: mu and sigma of A's features (np.cov, rows as observations), which
    give back the same FD as the folder itself; a 2048-d statistics file against digits names the
    feature space each side is in."""
    _, real, probe = digit_folders
    code, out, _ = _run(["--save-stats", real, tmp_path / "real.npz"], capsys)
    assert code == 0 and "wrote" in out and "128-d features" in out
    with np.load(tmp_path / "real.npz") as st:
        mu, sigma = st["mu"], st["sigma"]
        assert mu.shape == (128,) and sigma.shape == (128, 128) and int(st["n"]) == 300
    code, out, _ = _run([probe, real, "--json", "--metrics", "fd"], capsys)
    code2, out2, _ = _run([probe, tmp_path / "real.npz", "--json", "--metrics", "fd"], capsys)
    assert code == code2 == 0
    assert json.loads(out2)["a_vs_b"]["fd"] == pytest.approx(json.loads(out)["a_vs_b"]["fd"], rel=1e-6)
    np.savez(tmp_path / "inception.npz", mu=np.zeros(2048), sigma=np.eye(2048))
    code, _, err = _run([probe, tmp_path / "inception.npz"], capsys)
    assert code == 2 and "different feature spaces" in err and "2048-d statistics" in err
    assert "128-d features through the MNIST classifier" in err
    code, _, err = _run(["--save-stats", real, tmp_path / "nofolder" / "x.npz"], capsys)
    assert code == 2 and "does not exist" in err


def test_named_mnist_reference_and_resizing(tmp_path, capsys, digit_folders):
    """B = mnist: the held-out real digits at A's size (no path needed); --image-size resizes
    28-pixel digits to a 16-pixel run's size (padded to 32 first, as the trainer's data); real
    digits sit near the floor, noise far above it."""
    _, real, probe = digit_folders
    code, out, err = _run([probe, "mnist", "--json", "--metrics", "fd", "--batch-size", "64", "--device", "cpu"],
                          capsys)
    r = json.loads(out)
    assert code == 0, err
    assert r["b"].startswith("mnist: 1000 images, 28x28") and r["n_reference"] == 1000
    assert r["a_vs_b"]["fd"] < 1.5 * r["floor"]["fd"]
    code, out, _ = _run([probe, "mnist", "--json", "--metrics", "fd", "--image-size", "16"], capsys)
    r16 = json.loads(out)
    assert code == 0 and "resized from 28x28 to 16x16" in r16["a"] and "16x16 network" in r16["feature_space"]
    assert r16["a_vs_b"]["fd"] < 1.5 * r16["floor"]["fd"]
    noise = np.random.default_rng(1).integers(0, 256, (100, 16, 16), dtype=np.uint8)
    np.save(tmp_path / "noise16.npy", noise)
    code, out, _ = _run([tmp_path / "noise16.npy", "mnist", "--json", "--metrics", "fd"], capsys)
    assert code == 0 and json.loads(out)["a_vs_b"]["fd"] > 3 * r16["floor"]["fd"]
    code, _, err = _run([probe, real, "--device", "cuda"] if not torch.cuda.is_available() else
                        [probe, real, "--batch-size", "0"], capsys)
    assert code == 2
    np.save(tmp_path / "colour.npy", np.zeros((10, 8, 8, 3), dtype=np.uint8))
    code, _, err = _run([tmp_path / "colour.npy", "mnist"], capsys)
    assert code == 2 and "mnist (the held-out real digits) needs A to be one-channel" in err
    assert "A is 8x8x3 images" in err and "--image-size" not in err


def test_kid_subsets_are_options(tmp_path, capsys):
    """--kid-subsets and --kid-subset-size reach KID; the table gives mean, std and SE."""
    r = np.random.default_rng(8)
    np.save(tmp_path / "a.npy", r.normal(size=(120, 6)))
    np.save(tmp_path / "b.npy", r.normal(size=(120, 6)) + 0.3)
    code, out, _ = _run([tmp_path / "a.npy", tmp_path / "b.npy", "--json", "--metrics", "kid", "--kid-subsets", "7",
                         "--kid-subset-size", "20"], capsys)
    k = json.loads(out)["a_vs_b"]
    assert code == 0 and k["kid_subsets"] == 7 and k["kid_subset_size"] == 20
    assert k["kid_se"] == pytest.approx(k["kid_std"] * math.sqrt(7 / 6) / math.sqrt(7), rel=1e-9)


def test_colour_images_are_compared_in_pixels_with_a_warning(tmp_path, capsys):
    r = np.random.default_rng(5)
    _folder(tmp_path / "a", r.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8))
    np.save(tmp_path / "b.npy", r.integers(0, 256, (40, 3, 8, 8), dtype=np.uint8))  # channels first
    code, out, _ = _run([tmp_path / "a", tmp_path / "b.npy", "--metrics", "fd,w1"], capsys)
    assert code == 0 and "feature space: pixels (192-d" in out
    assert "WARNING: no validated feature space ships for 8x8x3 images" in out
    code, _, err = _run([tmp_path / "a", tmp_path / "b.npy", "--features", "mnist"], capsys)
    assert code == 2 and "the MNIST feature network takes one-channel square digits" in err


def test_a_run_directory_stands_for_its_samples(tmp_path, capsys, digit_folders):
    """A tiny trainer run: images generated from its latest snapshot, scored against real digits."""
    from tests.gan.helpers import run_tiny

    run_tiny(tmp_path / "run", data="mnist", image_size=32, generator_steps=2)
    _, real, _ = digit_folders
    code, out, _ = _run([tmp_path / "run", real, "--samples", "64", "--metrics", "fd", "--json"], capsys)
    res = json.loads(out)
    assert code == 0 and "generated by the generator of snapshot step 2" in res["a"]
    assert "64 images, 32x32, 1 channel" in res["a"] and res["n"] == 64
    assert res["a_vs_b"]["fd"] > 3 * res["floor"]["fd"]  # two steps of training: far from real digits
    code, _, err = _run([tmp_path / "run", real, "--ema"], capsys)
    assert code == 2 and "kept no averaged generator" in err


def test_clear_errors(tmp_path, capsys):
    r = np.random.default_rng(6)
    (tmp_path / "empty").mkdir()
    mixed = _folder(tmp_path / "mixed", r.integers(0, 256, (3, 28, 28), dtype=np.uint8))
    Image.fromarray(r.integers(0, 256, (32, 32), dtype=np.uint8)).save(mixed / "z.png")
    broken = _folder(tmp_path / "broken", r.integers(0, 256, (3, 28, 28), dtype=np.uint8))
    (broken / "0001.png").write_bytes(b"not a png")
    (broken / "x.jpg").write_bytes(b"")
    np.save(tmp_path / "f3.npy", r.normal(size=(50, 3)))
    np.save(tmp_path / "f4.npy", r.normal(size=(50, 4)))
    np.save(tmp_path / "bad.npy", r.normal(size=(5, 7, 7, 7)))
    good = _folder(tmp_path / "good", r.integers(0, 256, (3, 28, 28), dtype=np.uint8))
    cases = [
        ([tmp_path / "empty", good], "A: the folder"),
        ([good, tmp_path / "empty"], "B: the folder"),
        ([mixed, good], "A: the images in"),
        ([broken, good], "A: 2 of 4 image files in"),
        ([tmp_path / "nope", good], "does not exist"),
        ([tmp_path / "f3.npy", tmp_path / "f4.npy"], "the features have different dimensions (3, 4)"),
        ([tmp_path / "f3.npy", good], "one side is images and the other features"),
        ([tmp_path / "bad.npy", good], "is neither images"),
        ([good, good, "--metrics", "fd,fid"], "--metrics must be a comma-separated subset"),
    ]
    for argv, message in cases:
        code, _, err = _run(argv, capsys)
        assert code == 2 and message in err, (argv, err)
    code, _, err = _run([mixed, good], capsys)
    assert "3 are 28x28 (e.g. 0000.png), 1 are 32x32 (e.g. z.png)" in err
    code, _, err = _run([broken, good], capsys)
    assert "the first: 0001.png" in err
    code, _, err = _run([tmp_path / "f3.npy", good, "--metrics", "fd"], capsys)
    assert code == 2
    with pytest.raises(SystemExit):
        compare.main([str(good), str(good), "--samples", "1"])


def test_image_arrays_in_every_layout_and_range(tmp_path):
    """uint8 NHWC, float [0, 1] NCHW, float [-1, 1] NHW: the same images."""
    r = np.random.default_rng(7)
    u8 = r.integers(0, 256, (6, 5, 5, 1), dtype=np.uint8)
    for arr in (u8, u8.transpose(0, 3, 1, 2) / 255.0, u8[..., 0] / 127.5 - 1.0):
        np.testing.assert_array_equal(compare.as_images(np.asarray(arr), "A"), u8)
    with pytest.raises(ValueError, match="A: image values span"):
        compare.as_images(np.full((2, 4, 4), 300.0), "A")


def test_progress_is_shown_for_long_folders(tmp_path, capsys):
    many = _folder(tmp_path / "many", np.zeros((compare.PROGRESS_FROM, 4, 4), dtype=np.uint8))
    compare.read_folder(many, "A", progress=True)
    assert "reading A" in capsys.readouterr().err


def test_kid_is_torchmetrics_estimator_with_another_spread(rng):
    """gan.quality.kid: mean and standard error over 50 subsets; torchmetrics' KernelInceptionDistance
    (and torch-fidelity): mean and std(unbiased=False) over 100 subsets of 1,000. Per subset the same
    unbiased polynomial MMD^2 (torchmetrics' formula below, on the same subsets), so the same mean;
    over s subsets the spreads relate as std(unbiased=False) = SE sqrt(s - 1)."""
    from gan.quality import kid

    x, y = rng.normal(size=(400, 128)), rng.normal(size=(300, 128)) + 0.05

    def torchmetrics_poly_mmd(f_real, f_fake, degree=3, gamma=None, coef=1.0):
        def kernel(f1, f2):
            g = 1.0 / f1.shape[1] if gamma is None else gamma
            return (f1 @ f2.T * g + coef) ** degree
        k_xx, k_yy, k_xy = kernel(f_real, f_real), kernel(f_fake, f_fake), kernel(f_real, f_fake)
        m = k_xx.shape[0]
        value = ((k_xx.sum() - torch.diag(k_xx).sum()) + (k_yy.sum() - torch.diag(k_yy).sum())) / (m * (m - 1))
        return value - 2 * k_xy.sum() / m**2

    subsets, size = 100, 150
    mean, se = kid(x, y, subsets=subsets, size=size, seed=3)
    draws = np.random.default_rng(3)  # kid's own draws, replayed
    scores = []
    for _ in range(subsets):
        ix, iy = draws.choice(len(x), size, replace=False), draws.choice(len(y), size, replace=False)
        scores.append(torchmetrics_poly_mmd(torch.as_tensor(x[ix]), torch.as_tensor(y[iy])))
    scores = torch.stack(scores)
    assert mean == pytest.approx(float(scores.mean()), rel=1e-10)
    assert float(scores.std(unbiased=False)) == pytest.approx(se * math.sqrt(subsets - 1), rel=1e-10)
