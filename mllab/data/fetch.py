"""`mllab fetch-data`: the real Oxford-IIIT Pet yorkshire terrier, downloaded, verified, converted.

The data set is distributed only as two archives (about 800 MB together). Both are fetched (or
taken from a folder that already holds them), checked against their published MD5 sums, and
only the two files the lab needs are read from them, in memory. The trimap's labels (1 pet,
2 background, 3 border) become the lab's (1 pet including the border, 2 background), and the
result lands in data/downloaded/yorkshire/ in one rename, so a failure never leaves half a set.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

from mllab.data.standin import BACKGROUND, PET, write_pet_set
from mllab.errors import DataFileMissing, DataVerificationError

# The folder torchvision's OxfordIIITPet downloads from (the Oxford VGG group's pets page).
DEFAULT_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/data"
NAME = "yorkshire_terrier_198"
MEMBERS = {
    "images.tar.gz": f"images/{NAME}.jpg",
    "annotations.tar.gz": f"annotations/trimaps/{NAME}.png",
}
# MD5 sums of the two archives as torchvision publishes them: OxfordIIITPet._RESOURCES in
# torchvision/datasets/oxford_iiit_pet.py (github.com/pytorch/vision, commit 036a3dae).
CHECKSUMS = {
    "images.tar.gz": "5c4f3ee8e5d25df40f4fd59a7f44e54c",
    "annotations.tar.gz": "95a8c909bbe2e81eed6a22bccdf3f68f",
}
INFO = {
    "source": "oxford-iiit-pet",
    "caption": f"{NAME} from the Oxford-IIIT Pet Dataset (Parkhi et al. 2012)",
    "licence": "CC BY-SA 4.0",
}
TIMEOUT = 60  # seconds without data before a download gives up
CHUNK = 1 << 20
LARGEST_MEMBER = 64 << 20  # a photo or trimap is far smaller; anything bigger is not the data set
HELP = ("Check the internet connection, pass --url with a mirror of the two archives, or download "
        "images.tar.gz and annotations.tar.gz from https://www.robots.ox.ac.uk/~vgg/data/pets/ yourself "
        "and pass --archive-dir; the notebooks and tests work without them (they show the offline stand-in).")


# --- getting and checking the archives ------------------------------------------------------


def _megabytes(done: int, total: int) -> str:
    return f"{done / 2**20:.1f} of {total / 2**20:.1f} MB" if total else f"{done / 2**20:.1f} MB"


def _copy_with_progress(response, out, label: str) -> None:
    total = int(response.headers.get("Content-Length") or 0)
    done = 0
    while chunk := response.read(CHUNK):
        out.write(chunk)
        done += len(chunk)
        print(f"\r{label}: {_megabytes(done, total)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def _download(url: str, destination: Path) -> Path:
    """Stream ``url`` into ``destination`` with a progress line on stderr."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, destination.open("wb") as out:
            _copy_with_progress(response, out, f"downloading {url}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        destination.unlink(missing_ok=True)
        raise DataFileMissing(f"could not download {url} ({error}). {HELP}") from None
    return destination


def md5_of(path: Path) -> str:
    """The hex MD5 digest of a file, read in chunks."""
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_md5(path: Path, expected: str, *, delete_if_bad: bool) -> Path:
    actual = md5_of(path)
    if actual != expected:
        if delete_if_bad:
            path.unlink()
        raise DataVerificationError(
            f"{path.name} has MD5 {actual}, expected {expected}: it is damaged or not the Oxford-IIIT Pet "
            f"archive. Nothing in data/ was changed. {HELP}"
        )
    return path


def _archive(name: str, *, base_url: str, archive_dir: Path | None, scratch: Path, md5: str) -> Path:
    """A verified copy of archive ``name``: the user's own in ``archive_dir``, else a download."""
    if archive_dir is None:
        downloaded = _download(f"{base_url.rstrip('/')}/{name}", scratch / name)
        return _check_md5(downloaded, md5, delete_if_bad=True)
    local = Path(archive_dir) / name
    if not local.is_file():
        raise DataFileMissing(f"{local} is missing: put the Oxford-IIIT Pet {name} there, or run "
                              "`mllab fetch-data` without --archive-dir to download it")
    return _check_md5(local, md5, delete_if_bad=False)


# --- reading the two files ----------------------------------------------------------------


def _member_bytes(archive: Path, member: str) -> bytes:
    """The bytes of one regular file of a .tar.gz, found by its normalised name; nothing is extracted to disk."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for entry in tar:
                if posixpath.normpath(entry.name) == member and entry.isreg():
                    if entry.size > LARGEST_MEMBER:
                        raise DataVerificationError(f"{member} in {archive.name} is {entry.size} bytes, too big")
                    return tar.extractfile(entry).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataVerificationError(f"{archive.name} cannot be read as a .tar.gz ({error})") from None
    raise DataVerificationError(f"{archive.name} has no file {member}")


def _decode(payload: bytes, what: str) -> Image.Image:
    try:
        picture = Image.open(io.BytesIO(payload))
        picture.load()
    except Exception as error:  # Pillow raises many types for a damaged file
        raise DataVerificationError(f"the {what} cannot be decoded ({error})") from None
    return picture


def to_lab_labels(trimap: np.ndarray) -> np.ndarray:
    """Oxford trimap (1 pet, 2 background, 3 border) → lab mask (1 pet incl. border, 2 background)."""
    if not set(np.unique(trimap)) <= {1, 2, 3}:
        raise DataVerificationError(f"the trimap holds {sorted(np.unique(trimap))}, expected only 1, 2 and 3")
    return np.where(trimap == 2, BACKGROUND, PET).astype(np.uint8)


def _photo_and_labels(images: Path, annotations: Path) -> tuple[np.ndarray, np.ndarray]:
    photo = np.asarray(_decode(_member_bytes(images, MEMBERS["images.tar.gz"]), "photo").convert("RGB"))
    trimap = np.asarray(_decode(_member_bytes(annotations, MEMBERS["annotations.tar.gz"]), "trimap"))
    if trimap.ndim == 3:
        trimap = trimap[..., 0]
    if photo.shape[:2] != trimap.shape:
        raise DataVerificationError(f"the photo is {photo.shape[:2]} but the trimap {trimap.shape}")
    return photo, to_lab_labels(trimap)


# --- writing the set in one step ------------------------------------------------------------


def _swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving an older ``target`` aside first and deleting it after."""
    if not target.exists():
        os.replace(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=".yorkshire-old-", dir=target.parent))
    os.replace(target, old / "yorkshire")
    os.replace(staging, target)
    shutil.rmtree(old)


def _install(data_dir: Path, photo: np.ndarray, gt: np.ndarray) -> Path:
    """Write the set into a hidden folder beside its destination, then rename it into place."""
    target = data_dir / "downloaded" / "yorkshire"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".yorkshire-new-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private
        write_pet_set(staging, photo, gt, INFO)
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only left over if something failed
    return target


def fetch_pet(data_dir: Path, *, base_url: str = DEFAULT_URL, archive_dir: Path | None = None,
              checksums: dict | None = None) -> Path:
    """Get, verify and convert the real terrier into data/downloaded/yorkshire/; returns that folder.

    ``archive_dir`` holds images.tar.gz and annotations.tar.gz downloaded before (no download
    then); ``checksums`` overrides their MD5 sums (for tests).
    """
    sums = {**CHECKSUMS, **(checksums or {})}
    with tempfile.TemporaryDirectory(prefix="mllab-fetch-") as scratch:
        images, annotations = (
            _archive(name, base_url=base_url, archive_dir=archive_dir, scratch=Path(scratch), md5=sums[name])
            for name in MEMBERS
        )
        photo, gt = _photo_and_labels(images, annotations)
    return _install(data_dir, photo, gt)
