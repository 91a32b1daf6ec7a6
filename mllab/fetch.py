"""`mllab fetch-data`: the real Oxford-IIIT Pet yorkshire terrier, downloaded, verified, converted.

The data set is distributed only as two archives, so both are fetched (about 800 MB together),
checked against the MD5 sums that torchvision's OxfordIIITPet publishes, and only the two files
the lab needs are read from them. The trimap's labels (1 pet, 2 background, 3 border) become
the lab's (1 pet including the border, 2 background).
"""

from __future__ import annotations

import hashlib
import io as bytes_io
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from skimage import io

from mllab.errors import DataFileMissing, DataVerificationError
from mllab.standin import PET, BACKGROUND, write_pet_set

DEFAULT_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/data"
NAME = "yorkshire_terrier_198"
# The archives' MD5 sums as torchvision's OxfordIIITPet dataset lists them.
CHECKSUMS = {
    "images.tar.gz": "5c4f3ee8e5d25df40f4fd59a7f44e54c",
    "annotations.tar.gz": "95a8c909bbe2e81eed6a22bccdf3f68f",
}
MEMBERS = {"images.tar.gz": f"images/{NAME}.jpg", "annotations.tar.gz": f"annotations/trimaps/{NAME}.png"}
CHUNK = 1 << 20


def _download(url: str, destination: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, destination.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                print(f"\r{url}: {done >> 20} of {total >> 20 or '?'} MB", end="", file=sys.stderr)
        print(file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:
        raise DataFileMissing(
            f"could not download {url} ({error}). Check the internet connection, pass --url with a "
            "mirror, or download the archive yourself and pass --archive-dir; the notebooks work "
            "without it (they show the offline stand-in)."
        ) from None


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(path: Path, expected: str) -> Path:
    actual = _md5(path)
    if actual != expected:
        raise DataVerificationError(
            f"{path.name} has MD5 {actual}, expected {expected}: the download is corrupt or not the "
            "Oxford-IIIT Pet archive. Nothing in data/ was changed; try again or use another mirror."
        )
    return path


def _member_bytes(archive: Path, member: str) -> bytes:
    with tarfile.open(archive, "r:gz") as tar:
        for entry in tar:
            if entry.isfile() and entry.name.lstrip("./") == member:
                return tar.extractfile(entry).read()
    raise DataVerificationError(f"{archive.name} has no {member}")


def _archive(name: str, *, base_url: str, archive_dir: Path | None, scratch: Path) -> Path:
    if archive_dir is not None:
        local = archive_dir / name
        if not local.is_file():
            raise DataFileMissing(f"{local} is missing: put {name} of the Oxford-IIIT Pet data set there")
        return local
    target = scratch / name
    _download(f"{base_url.rstrip('/')}/{name}", target)
    return target


def to_lab_labels(trimap: np.ndarray) -> np.ndarray:
    """Oxford trimap (1 pet, 2 background, 3 border) → lab mask (1 pet incl. border, 2 background)."""
    return np.where(trimap == 2, BACKGROUND, PET).astype(np.uint8)


def fetch_pet(data_dir: Path, *, base_url: str = DEFAULT_URL, archive_dir: Path | None = None,
              checksums: dict[str, str] | None = None) -> Path:
    """Download (or take from ``archive_dir``), verify and convert the terrier into data/downloaded/."""
    sums = checksums or CHECKSUMS
    with tempfile.TemporaryDirectory() as scratch:
        found = {name: _verified(_archive(name, base_url=base_url, archive_dir=archive_dir, scratch=Path(scratch)),
                                 sums[name]) for name in MEMBERS}
        image = io.imread(bytes_io.BytesIO(_member_bytes(found["images.tar.gz"], MEMBERS["images.tar.gz"])))
        trimap = io.imread(bytes_io.BytesIO(_member_bytes(found["annotations.tar.gz"], MEMBERS["annotations.tar.gz"])))
        if image.shape[:2] != trimap.shape[:2]:
            raise DataVerificationError(f"image {image.shape} and trimap {trimap.shape} differ in size")
        info = {"source": "oxford-iiit-pet", "licence": "CC BY-SA 4.0",
                "caption": f"{NAME} from the Oxford-IIIT Pet Dataset (Parkhi et al., 2012), CC BY-SA 4.0"}
        staging = write_pet_set(Path(scratch) / "yorkshire", image[..., :3], to_lab_labels(trimap), info)
        final = data_dir / "downloaded" / "yorkshire"
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            shutil.rmtree(final)
        shutil.move(str(staging), final)
    return final
