"""Are the lab's images there and reproducible, is the terrier fetched safely, and is a missing
or bad file reported with the command that fixes it?"""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mllab.data import fetch, standin
from mllab.data import files as data
from mllab.errors import DataFileMissing, DataVerificationError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ("cat.png", "yorkshire/image.png", "yorkshire/gt.png", "yorkshire/pred.png", "yorkshire/info.json")


# --- the committed files ------------------------------------------------------------------


def test_the_committed_data_loads_with_the_documented_types():
    cat = data.load_cat(data.data_dir(ROOT))
    pet = data.load_pet(data.data_dir(ROOT))
    assert cat.dtype == np.float64 and cat.shape == (300, 451, 3) and 0 <= cat.min() <= cat.max() <= 1
    assert pet.image.dtype == np.uint8 and pet.image.ndim == 3 and pet.image.shape[2] == 3
    assert pet.gt.shape == pet.pred.shape == pet.image.shape[:2]
    assert set(np.unique(pet.gt)) == set(np.unique(pet.pred)) == {1, 2}
    assert pet.info["source"] == "standin" and "stand-in" in pet.info["caption"]
    assert pet.info["dice_of_pred"] == round(standin.dice_of_pet(pet.pred, pet.gt), 4)


def test_standin_is_reproducible_byte_for_byte(tmp_path):
    standin.make_data(tmp_path)
    standin.make_data(tmp_path / "again")
    for name in COMMITTED:
        fresh, committed = tmp_path / name, ROOT / "data" / name
        assert fresh.read_bytes() == (tmp_path / "again" / name).read_bytes(), f"{name} differs between two runs"
        if name.endswith(".png"):  # same pixels first, so a changed PNG encoder is told apart
            assert np.array_equal(np.asarray(Image.open(fresh)), np.asarray(Image.open(committed))), name
        assert fresh.read_bytes() == committed.read_bytes(), f"data/{name} is stale: run `mllab make-data`"


def test_data_readme_lists_every_committed_file():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for name in COMMITTED + ("downloaded/yorkshire",):
        assert f"`{name}" in readme, name
    assert "mllab make-data" in readme and "mllab fetch-data" in readme and "CC BY-SA 4.0" in readme


# --- clear errors -------------------------------------------------------------------------


def test_missing_cat_file_names_the_file_and_the_command(tmp_path):
    with pytest.raises(DataFileMissing, match=r"cat\.png is missing.*mllab make-data") as caught:
        data.load_cat(tmp_path)
    assert str(tmp_path / "cat.png") in str(caught.value)


def test_missing_pet_file_names_the_file_and_both_commands(tmp_path):
    standin.write_standin(tmp_path)
    (tmp_path / "yorkshire" / "pred.png").unlink()
    with pytest.raises(DataFileMissing, match=r"pred\.png is missing.*mllab make-data.*mllab fetch-data"):
        data.load_pet(tmp_path)


def test_a_damaged_mask_is_reported_not_loaded(tmp_path):
    standin.write_standin(tmp_path)
    standin.write_png(tmp_path / "yorkshire" / "gt.png", np.zeros((5, 5), np.uint8))
    with pytest.raises(DataVerificationError, match=r"gt\.png is not a 328×400 mask.*mllab make-data"):
        data.load_pet(tmp_path)


# --- the prediction mask ------------------------------------------------------------------


def _ellipse(height: int, width: int, area_fraction: float, aspect: float = 1.0,
             centre: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """A 1 = pet / 2 = background mask holding an ellipse that covers ``area_fraction`` of the image."""
    rows, cols = np.mgrid[:height, :width]
    half_height = np.sqrt(area_fraction * height * width / (np.pi * aspect))
    inside = ((rows - centre[0] * height) / half_height) ** 2 + \
             ((cols - centre[1] * width) / (aspect * half_height)) ** 2 <= 1
    return np.where(inside, 1, 2).astype(np.uint8)


def _rectangle() -> np.ndarray:
    mask = np.full((300, 400), 2, np.uint8)
    mask[60:250, 80:330] = 1
    return mask


SHAPES = {
    "stand-in horse": standin.standin_images()[1],
    "ellipse, 30% of 300x400": _ellipse(300, 400, 0.30, aspect=1.3),
    "tall ellipse, 10% of 500x375": _ellipse(500, 375, 0.10, aspect=0.7),
    "small ellipse, 40x40": _ellipse(40, 40, 0.20),
    "large ellipse, 1000x1500": _ellipse(1000, 1500, 0.25, aspect=1.5),
    "ellipse near the corner": _ellipse(300, 400, 0.20, centre=(0.7, 0.8)),
    "rectangle": _rectangle(),
}


@pytest.mark.parametrize("gt", SHAPES.values(), ids=SHAPES.keys())
def test_prediction_mask_is_a_bit_wrong_for_several_shapes(gt):
    pred = standin.make_prediction(gt)
    assert pred.dtype == np.uint8 and pred.shape == gt.shape and set(np.unique(pred)) <= {1, 2}
    assert 0.80 <= standin.dice_of_pet(pred, gt) <= 0.95
    assert np.array_equal(pred, standin.make_prediction(gt.copy()))


def test_prediction_of_a_mask_without_a_pet_is_all_background():
    assert (standin.make_prediction(np.full((10, 12), 2, np.uint8)) == 2).all()


# --- fetching the real terrier ------------------------------------------------------------


def _trimap() -> np.ndarray:
    """40×60 trimap: a 20×30 pet (1) whose left and right columns are border (3), on background (2)."""
    trimap = np.full((40, 60), 2, np.uint8)
    trimap[10:30, 15:45] = 1
    trimap[10:30, [15, 44]] = 3
    return trimap


def _encoded(array: np.ndarray, file_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=file_format)
    return buffer.getvalue()


def _write_fake_archives(folder: Path) -> dict[str, str]:
    """Small archives laid out like the Oxford-IIIT Pet ones (plus a decoy); returns their MD5 sums."""
    photo = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    contents = {
        "images.tar.gz": {"images/yorkshire_terrier_198.jpg": _encoded(photo, "JPEG"),
                          "../images/evil.jpg": b"never written anywhere"},
        "annotations.tar.gz": {"./annotations/trimaps/yorkshire_terrier_198.png": _encoded(_trimap(), "PNG")},
    }
    for archive, members in contents.items():
        with tarfile.open(folder / archive, "w:gz") as tar:
            for member, payload in members.items():
                entry = tarfile.TarInfo(member)
                entry.size = len(payload)
                tar.addfile(entry, io.BytesIO(payload))
    return {archive: hashlib.md5((folder / archive).read_bytes()).hexdigest() for archive in contents}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def archives(tmp_path):
    """(base URL of a local HTTP server, MD5 sums, folder) for the fake archives."""
    folder = tmp_path / "archives"
    folder.mkdir()
    sums = _write_fake_archives(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", sums, folder
    server.shutdown()
    server.server_close()
    thread.join()


def test_fetch_pet_converts_real_style_archives(tmp_path, archives):
    url, sums, _ = archives
    folder = fetch.fetch_pet(tmp_path / "data", base_url=url, checksums=sums)
    assert folder == tmp_path / "data" / "downloaded" / "yorkshire"
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.PET_FILES)
    pet = data.load_pet(tmp_path / "data")
    assert pet.image.shape == (40, 60, 3)
    assert np.array_equal(pet.gt, np.where(_trimap() == 2, 2, 1))  # the border (3) counts as pet
    assert set(np.unique(pet.pred)) == {1, 2}
    assert pet.info == {**fetch.INFO, "dice_of_pred": round(standin.dice_of_pet(pet.pred, pet.gt), 4)}
    assert pet.info["caption"] == "yorkshire_terrier_198 from the Oxford-IIIT Pet Dataset (Parkhi et al. 2012)"
    assert not (tmp_path / "evil.jpg").exists() and not (tmp_path / "data" / "evil.jpg").exists()


def test_fetch_pet_rejects_a_bad_checksum_and_changes_nothing(tmp_path, archives):
    url, sums, _ = archives
    standin.make_data(tmp_path / "data")
    before = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()}
    with pytest.raises(DataVerificationError, match=r"images\.tar\.gz has MD5 .*Nothing in data/ was changed"):
        fetch.fetch_pet(tmp_path / "data", base_url=url, checksums={**sums, "images.tar.gz": "0" * 32})
    assert {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()} == before
    assert not (tmp_path / "data" / "downloaded").exists()


def test_fetch_pet_from_a_local_archive_dir(tmp_path, archives):
    _, sums, folder = archives
    made = fetch.fetch_pet(tmp_path / "data", base_url="http://127.0.0.1:9", archive_dir=folder, checksums=sums)
    assert (made / "pred.png").is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["annotations.tar.gz", "images.tar.gz"]


def test_a_bad_local_archive_is_kept_and_reported(tmp_path, archives):
    _, sums, folder = archives
    with pytest.raises(DataVerificationError, match="annotations.tar.gz has MD5"):
        fetch.fetch_pet(tmp_path / "data", archive_dir=folder, checksums={**sums, "annotations.tar.gz": "1" * 32})
    assert (folder / "annotations.tar.gz").is_file()  # the user's own file is never deleted


def test_a_missing_local_archive_names_the_file(tmp_path):
    with pytest.raises(DataFileMissing, match=r"images\.tar\.gz is missing"):
        fetch.fetch_pet(tmp_path / "data", archive_dir=tmp_path)


def test_an_unreachable_server_says_what_to_do(tmp_path):
    with pytest.raises(DataFileMissing, match=r"could not download.*--url.*--archive-dir"):
        fetch.fetch_pet(tmp_path / "data", base_url="http://127.0.0.1:9")
    assert not (tmp_path / "data").exists()


def test_fetching_again_replaces_the_previous_download(tmp_path, archives):
    url, sums, _ = archives
    folder = fetch.fetch_pet(tmp_path, base_url=url, checksums=sums)
    (folder / "stale.txt").write_text("left from an earlier run")
    assert fetch.fetch_pet(tmp_path, base_url=url, checksums=sums) == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.PET_FILES)
    assert [p.name for p in folder.parent.iterdir()] == ["yorkshire"]  # no staging folders left


def test_loader_prefers_the_downloaded_terrier(tmp_path, archives):
    url, sums, _ = archives
    standin.make_data(tmp_path)
    assert data.pet_dir(tmp_path) == tmp_path / "yorkshire"
    assert data.load_pet(tmp_path).info["source"] == "standin"
    fetch.fetch_pet(tmp_path, base_url=url, checksums=sums)
    assert data.pet_dir(tmp_path) == tmp_path / "downloaded" / "yorkshire"
    assert data.load_pet(tmp_path).info["source"] == "oxford-iiit-pet"


def test_an_incomplete_download_falls_back_to_the_standin(tmp_path):
    standin.make_data(tmp_path)
    (tmp_path / "downloaded" / "yorkshire").mkdir(parents=True)
    (tmp_path / "downloaded" / "yorkshire" / "image.png").write_bytes(b"partial")
    assert data.load_pet(tmp_path).info["source"] == "standin"

