"""Are the lab's images there, reproducible, and is a missing or bad file reported clearly?"""

from __future__ import annotations

import hashlib
import http.server
import io as bytes_io
import json
import tarfile
import threading
from functools import partial

import imageio.v3 as iio
import numpy as np
import pytest
from skimage import io

from mllab import data, fetch, standin
from mllab.errors import DataFileMissing, DataVerificationError
from tests.conftest import REPO


def test_the_committed_data_loads(repo):
    cat = data.load_cat(repo.data)
    pet = data.load_pet(repo.data)
    assert cat.shape == (300, 451, 3) and 0 <= cat.min() and cat.max() <= 1
    assert pet.image.shape[:2] == pet.gt.shape == pet.pred.shape
    assert set(np.unique(pet.gt)) == {1, 2} and set(np.unique(pet.pred)) == {1, 2}
    assert pet.info["source"] == "standin" and "stand-in" in pet.info["caption"]


def test_missing_cat_file_names_the_file_and_the_command(tmp_path):
    with pytest.raises(DataFileMissing, match=r"cat\.png is missing.*mllab make-data"):
        data.load_cat(tmp_path)


def test_missing_pet_file_names_the_file_and_the_command(tmp_path):
    standin.write_standin(tmp_path)
    (tmp_path / "yorkshire" / "pred.png").unlink()
    with pytest.raises(DataFileMissing, match=r"pred\.png is missing.*mllab make-data"):
        data.load_pet(tmp_path)


def test_make_data_reproduces_the_committed_pixels(tmp_path):
    standin.make_data(tmp_path)
    for name in ("cat.png", "yorkshire/image.png", "yorkshire/gt.png", "yorkshire/pred.png"):
        assert np.array_equal(io.imread(tmp_path / name), io.imread(REPO / "data" / name)), name
    assert json.loads((tmp_path / "yorkshire/info.json").read_text()) == \
        json.loads((REPO / "data/yorkshire/info.json").read_text())


def _ellipse(h, w, fy, fx):
    rows, cols = np.mgrid[:h, :w]
    return np.where(((rows - h / 2) / (fy * h)) ** 2 + ((cols - w / 2) / (fx * w)) ** 2 <= 1, 1, 2).astype(np.uint8)


@pytest.mark.parametrize("gt", [standin.standin_images()[1], _ellipse(300, 400, 0.3, 0.35),
                                _ellipse(500, 375, 0.4, 0.3), _ellipse(60, 60, 0.2, 0.2)],
                         ids=["stand-in", "ellipse-300x400", "ellipse-500x375", "small-ellipse"])
def test_prediction_mask_is_a_bit_wrong_for_several_shapes(gt):
    assert 0.80 <= standin.dice_of_pet(standin.make_prediction(gt), gt) <= 0.95


def _fake_archives(folder):
    """Small archives laid out like the Oxford-IIIT Pet ones; returns their MD5 sums."""
    rng = np.random.default_rng(0)
    photo = iio.imwrite("<bytes>", rng.integers(0, 255, (40, 60, 3), dtype=np.uint8), extension=".jpg")
    trimap = np.full((40, 60), 2, np.uint8)
    trimap[10:30, 15:45] = 1
    trimap[10:30, [15, 44]] = 3
    mask = iio.imwrite("<bytes>", trimap, extension=".png")
    contents = {"images.tar.gz": ("images/yorkshire_terrier_198.jpg", photo),
                "annotations.tar.gz": ("annotations/trimaps/yorkshire_terrier_198.png", mask)}
    sums = {}
    for archive, (member, payload) in contents.items():
        with tarfile.open(folder / archive, "w:gz") as tar:
            entry = tarfile.TarInfo(member)
            entry.size = len(payload)
            tar.addfile(entry, bytes_io.BytesIO(payload))
        sums[archive] = hashlib.md5((folder / archive).read_bytes()).hexdigest()
    return sums


@pytest.fixture
def served_archives(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    sums = _fake_archives(folder)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", sums, folder
    server.shutdown()


def test_fetch_pet_downloads_and_converts_real_style_archives(tmp_path, served_archives):
    url, sums, _ = served_archives
    folder = fetch.fetch_pet(tmp_path / "data", base_url=url, checksums=sums)
    gt = io.imread(folder / "gt.png")
    assert set(np.unique(gt)) == {1, 2}
    assert (gt == 1).sum() == 20 * 30  # the trimap's border (3) counts as pet
    info = json.loads((folder / "info.json").read_text())
    assert info["source"] == "oxford-iiit-pet" and info["licence"] == "CC BY-SA 4.0"
    assert data.pet_dir(tmp_path / "data") == folder


def test_fetch_pet_rejects_a_bad_checksum_and_changes_nothing(tmp_path, served_archives):
    url, sums, _ = served_archives
    with pytest.raises(DataVerificationError, match="MD5"):
        fetch.fetch_pet(tmp_path / "data", base_url=url, checksums={**sums, "images.tar.gz": "0" * 32})
    assert not (tmp_path / "data").exists()


def test_fetch_pet_from_a_local_archive_dir(tmp_path, served_archives):
    _, sums, folder = served_archives
    assert (fetch.fetch_pet(tmp_path / "data", archive_dir=folder, checksums=sums) / "pred.png").is_file()


def test_an_unreachable_server_says_what_to_do(tmp_path):
    with pytest.raises(DataFileMissing, match="--archive-dir"):
        fetch.fetch_pet(tmp_path / "data", base_url="http://127.0.0.1:9")


def test_loader_prefers_the_downloaded_terrier(tmp_path, served_archives):
    url, sums, _ = served_archives
    standin.make_data(tmp_path)
    assert data.load_pet(tmp_path).info["source"] == "standin"
    fetch.fetch_pet(tmp_path, base_url=url, checksums=sums)
    assert data.load_pet(tmp_path).info["source"] == "oxford-iiit-pet"
