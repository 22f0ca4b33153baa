"""Data: the LSUN LMDB reader (with corrupt records), folder, synthetic and prepared sources,
the reference preprocessing, the data order, the batch paths, and the prepare command."""

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from gan import batches as gb
from gan import data as gd
from tests.gan.helpers import make_lsun_lmdb, run_tiny


@pytest.fixture
def lsun(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return make_lsun_lmdb(tmp_path / "bedroom_train_lmdb")


def test_lmdb_reader_decodes_webp_jpeg_png_and_skips_bad_records(lsun, tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    src = gd.LMDBImages(lsun, 32)
    assert len(src) == 25 and all(len(k) == 40 for k in src.keys)
    decoded = [src[i] for i in range(len(src))]
    assert sum(d is None for d in decoded) == 2  # one garbage record, one empty value
    assert all(d.shape == (32, 32, 3) and d.dtype == np.uint8 for d in decoded if d is not None)
    # the key list is cached in the user cache directory, never in the working directory
    cached = list((tmp_path / "cache" / "wgan-toolkit" / "lsun-keys").glob("*.npy"))
    assert len(cached) == 1 and os.listdir(".") == []
    np.testing.assert_array_equal(gd.LMDBImages(lsun, 32).keys, src.keys)  # from the cache


def test_training_from_lmdb_counts_distinct_bad_records_once(lsun, tmp_path):
    """Bad records are skipped, reported once each, and counted once however often they are
    drawn (two epochs here)."""
    with pytest.warns(RuntimeWarning, match="could not be decoded") as caught:
        rows = run_tiny(tmp_path / "run", data=f"lsun:{lsun}", generator_steps=12, workers=2, batch_size=4,
                        n_critic=1)
    assert rows[-1]["bad_records"] == 2  # the garbage record and the empty one
    assert len([w for w in caught if "could not be decoded" in str(w.message)]) <= 2
    assert all(np.isfinite(r["em_estimate"]) for r in rows)


def test_preprocessing_is_resize_shorter_side_then_centre_crop():
    """As torchvision's Resize(size) + CenterCrop(size) on a PIL image."""
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 100, 3), dtype=np.uint8))
    out = gd.preprocess(img, 32)
    expected = img.resize((64, 32), Image.BILINEAR).crop((16, 0, 48, 32))
    np.testing.assert_array_equal(out, np.asarray(expected))
    tall = img.transpose(Image.Transpose.TRANSPOSE)  # 50 wide, 100 high
    np.testing.assert_array_equal(gd.preprocess(tall, 32),
                                  np.asarray(tall.resize((32, 64), Image.BILINEAR).crop((0, 16, 32, 48))))


def test_real_batches_are_scaled_to_minus_one_one():
    src = gd.SyntheticImages(16, 16)
    x = gb.open_batches(src, 4, torch.device("cpu"), seed=0, workers=0).next()
    assert x.shape == (4, 3, 16, 16) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    raw = torch.from_numpy(np.stack([src[i] for i in range(16)])).float() / 127.5 - 1
    assert any(torch.allclose(x[0], r.permute(2, 0, 1)) for r in raw)


def test_synthetic_scenes_are_deterministic_and_structured():
    a, b = gd.synthetic_scene(3, 64), gd.synthetic_scene(3, 64)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gd.synthetic_scene(4, 64))
    rows = a.astype(float).mean(axis=(1, 2))
    assert np.std(a.reshape(-1, 3), axis=0).mean() > 10  # not flat
    assert abs(np.corrcoef(rows[:-1], rows[1:])[0, 1]) > 0.5  # spatially structured, not noise


def test_folder_source(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(gd.synthetic_scene(i, 40)).save(tmp_path / "a" / "b" / f"{i}.png")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    src = gd.open_source(f"folder:{tmp_path}", 32)
    assert len(src) == 3 and src[0].shape == (32, 32, 3)


def test_order_shards_are_disjoint_and_cover_each_epoch():
    a = gb.EpochOrder(20, 5, seed=1, rank=0, world=2)
    b = gb.EpochOrder(20, 5, seed=1, rank=1, world=2)
    ia, ib = a.batches(0, 0), b.batches(0, 0)
    first = [i for _ in range(2) for i in next(ia)] + [i for _ in range(2) for i in next(ib)]
    assert sorted(first) == list(range(20))
    second = [i for _ in range(2) for i in next(ia)]
    assert second != first[:10]  # a new permutation each epoch
    resumed = gb.EpochOrder(20, 5, seed=1, rank=0, world=2, epoch=1, batch=0).batches(1, 0)
    assert [i for _ in range(2) for i in next(resumed)] == second
    assert [a.take() for _ in range(3)] == [(0, 0), (0, 1), (1, 0)]


def test_prepare_command_and_training_from_the_prepared_array(lsun, tmp_path, capsys):
    out = tmp_path / "prepared.npy"
    gd.main(["prepare", f"lsun:{lsun}", str(out), "--image-size", "16", "--workers", "2"])
    meta = json.loads(capsys.readouterr().out)
    assert meta == {"source": f"lsun:{lsun}", "image_size": 16, "images": 23, "decode_failures": 2}
    arr = np.load(out, mmap_mode="r")
    assert arr.shape == (23, 16, 16, 3) and arr.dtype == np.uint8
    src = gd.LMDBImages(lsun, 16)
    good = [x for x in (src[i] for i in range(len(src))) if x is not None]
    np.testing.assert_array_equal(arr, np.stack(good))
    assert not list(tmp_path.glob(".*.tmp"))
    rows = run_tiny(tmp_path / "run", data=f"prepared:{out}")
    assert len(rows) == 4
    with pytest.raises(ValueError, match="holds 16x16 images, but --image-size is 32"):
        gd.open_source(f"prepared:{out}", 32)


def test_prepare_refuses_bad_sources(tmp_path, capsys):
    with pytest.raises(SystemExit):
        gd.main(["prepare", f"lsun:{tmp_path}", str(tmp_path / "x.npy")])
    assert "not an LMDB database" in capsys.readouterr().err


def test_device_resident_batches_equal_the_memory_mapped_ones(tmp_path):
    """--data-on-device yes (the GPU path: the epoch's order kept on the device, sliced there)
    gives the same batches, across an epoch boundary, as indexing the memory map."""
    out = tmp_path / "p.npy"
    gd.prepare("synthetic:40", out, 16, workers=1, progress=False)
    src = gd.PreparedImages(out, 16)
    mapped = gb.ArrayBatches(src.array, 8, torch.device("cpu"), seed=3, on_device="no")
    resident = gb.ArrayBatches(src.array, 8, torch.device("cpu"), seed=3, on_device="yes")
    assert not mapped.on_device and resident.on_device
    for _ in range(12):  # 5 batches per epoch: crosses two epoch boundaries
        assert torch.equal(mapped.next(), resident.next())
    assert mapped.state_dict() == resident.state_dict() == {"epoch": 2, "batch": 2, "images": 40}
    resumed = gb.ArrayBatches(src.array, 8, torch.device("cpu"), seed=3, on_device="yes",
                              state=resident.state_dict())
    assert torch.equal(resumed.next(), mapped.next())


def test_decoded_batches_equal_the_prepared_ones(tmp_path):
    """The two data paths give the same batches in the same order (and resume the same way)."""
    gd.prepare("synthetic:40", tmp_path / "p.npy", 16, workers=1, progress=False)
    prepared = gb.open_batches(gd.PreparedImages(tmp_path / "p.npy", 16), 8, torch.device("cpu"), seed=3)
    decoded = gb.open_batches(gd.SyntheticImages(40, 16), 8, torch.device("cpu"), seed=3, workers=0)
    assert isinstance(prepared, gb.ArrayBatches) and isinstance(decoded, gb.DecodedBatches)
    for _ in range(7):
        assert torch.equal(prepared.next(), decoded.next())
    state = decoded.state_dict()
    assert state == {"epoch": 1, "batch": 2, "images": 40, "bad_records": []}
    again = gb.open_batches(gd.SyntheticImages(40, 16), 8, torch.device("cpu"), seed=3, workers=0, state=state)
    assert torch.equal(again.next(), prepared.next())


# --------------------------------------------------------------------------- MNIST


def test_bundled_mnist_is_read_from_the_installed_package():
    from gan import mnist

    images, labels = mnist.load_bundled()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images[:, :2].mean() < 1 < images[:, 10:18, 10:18].mean()  # strokes on black


def test_mnist_split_is_fixed_stratified_and_disjoint():
    from gan import mnist

    _, labels = mnist.load_bundled()
    s, again = mnist.split(labels), mnist.split(labels)
    assert all(np.array_equal(getattr(s, k), getattr(again, k)) for k in mnist.PARTS)
    assert (len(s.train), len(s.heldout), len(s.probe), len(s.features)) == (4000, 1000, 1000, 3000)
    assert set(s.heldout).isdisjoint(s.train) and set(s.probe) <= set(s.train)
    assert set(s.probe).isdisjoint(s.features)
    assert np.bincount(labels[s.heldout]).tolist() == [100] * 10


def test_mnist_source_pads_to_32_then_resizes():
    from gan import mnist

    src32 = gd.open_source("mnist", 32)
    assert src32.channels == 1 and src32.array.shape == (4000, 32, 32, 1) and len(src32) == 4000
    assert src32.array[:, :2].max() == 0  # 2 pixels of padding
    images, labels = mnist.load_bundled()
    idx = mnist.split(labels).train
    np.testing.assert_array_equal(src32.array[0, 2:30, 2:30, 0], images[idx[0]])
    assert gd.open_source("mnist", 16).array.shape == (4000, 16, 16, 1)
    held = mnist.MNISTImages(None, 16, "heldout")
    assert held.array.shape == (1000, 16, 16, 1) and len(held.labels) == 1000


def test_mnist_idx_files(tmp_path):
    """--data mnist:PATH reads the distributed IDX files, gzipped or not."""
    from gan import mnist
    from tests.gan.helpers import write_idx

    images, labels = mnist.load_bundled()
    for gz in (False, True):
        folder = write_idx(tmp_path / f"raw{gz}", images[:1200], labels[:1200], gz=gz)
        x, y = mnist.load_idx(folder)
        np.testing.assert_array_equal(x, images[:1200])
        np.testing.assert_array_equal(y, labels[:1200])
    src = gd.open_source(f"mnist:{tmp_path / 'rawTrue'}", 32)
    assert src.array.shape[1:] == (32, 32, 1) and len(src) < 1200


def test_mnist_bad_idx_files_name_the_file(tmp_path):
    from gan import mnist
    from tests.gan.helpers import write_idx

    images, labels = mnist.load_bundled()
    folder = write_idx(tmp_path / "raw", images[:100], labels[:100])
    data = (folder / "train-images-idx3-ubyte").read_bytes()
    (folder / "train-images-idx3-ubyte").write_bytes(data[:-500])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated"):
        mnist.load_idx(folder)
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x09\x03" + data[4:])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: wrong magic number"):
        mnist.load_idx(folder)
    write_idx(folder, images[:100], labels[:90])
    with pytest.raises(ValueError, match=r"90 labels for the 100 images"):
        mnist.load_idx(folder)
    (folder / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(ValueError, match=r"no train-labels-idx1-ubyte"):
        mnist.load_idx(folder)


def test_prepare_mnist_keeps_one_channel(tmp_path):
    meta = gd.prepare("mnist", tmp_path / "m.npy", 16, workers=1, progress=False)
    arr = np.load(tmp_path / "m.npy")
    assert arr.shape == (4000, 16, 16, 1) and meta["images"] == 4000
    assert gd.open_source(f"prepared:{tmp_path / 'm.npy'}", 16).channels == 1
