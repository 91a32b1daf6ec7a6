"""Load the lab's images; a missing or damaged file is named together with the command that makes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from mllab.errors import DataFileMissing, DataVerificationError

PET_FILES = ("image.png", "gt.png", "pred.png", "info.json")
MAKE_DATA = "run `mllab make-data` in the course folder to rebuild the committed data files"
FETCH_DATA = "the real terrier is optional: `mllab fetch-data` downloads it"
FETCH_AGAIN = "run `mllab fetch-data` again, or delete data/downloaded/ to use the offline stand-in"


@dataclass(frozen=True)
class PetImages:
    """The Dice task's photo (H×W×3 uint8), its ground truth and prediction (H×W uint8, 1 = pet,
    2 = background) and its info.json (``source``, ``caption``, ``licence``, ``dice_of_pred``)."""

    image: np.ndarray
    gt: np.ndarray
    pred: np.ndarray
    info: dict


def data_dir(course_root: Path) -> Path:
    """The course's data folder."""
    return course_root / "data"


def _has_pet_set(folder: Path) -> bool:
    return all((folder / name).is_file() for name in PET_FILES)


def pet_dir(data_dir: Path) -> Path:
    """data/downloaded/yorkshire if it is complete, else the committed stand-in data/yorkshire."""
    downloaded = data_dir / "downloaded" / "yorkshire"
    return downloaded if _has_pet_set(downloaded) else data_dir / "yorkshire"


def _existing(path: Path, remedy: str) -> Path:
    if not path.is_file():
        raise DataFileMissing(f"{path} is missing: {remedy}")
    return path


def _image(path: Path, remedy: str) -> np.ndarray:
    _existing(path, remedy)
    try:
        return iio.imread(path)
    except Exception as error:  # imageio raises many types for a damaged file
        raise DataVerificationError(f"{path} cannot be read as an image ({error}): {remedy}") from None


def _check(path: Path, ok: bool, expected: str, remedy: str) -> None:
    if not ok:
        raise DataVerificationError(f"{path} is not {expected}: {remedy}")


def _rgb(path: Path, remedy: str) -> np.ndarray:
    image = _image(path, remedy)
    _check(path, image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, "an 8-bit RGB image", remedy)
    return image


def load_cat(data_dir: Path) -> np.ndarray:
    """Chelsea the cat as float64 H×W×3 in [0, 1]."""
    return _rgb(data_dir / "cat.png", MAKE_DATA).astype(np.float64) / 255.0


def _mask(path: Path, shape: tuple[int, ...], remedy: str) -> np.ndarray:
    mask = _image(path, remedy)
    fits = mask.dtype == np.uint8 and mask.shape == shape and set(np.unique(mask)) <= {1, 2}
    _check(path, fits, f"a {shape[0]}×{shape[1]} mask of 1 (pet) and 2 (background)", remedy)
    return mask


def _info(path: Path, remedy: str) -> dict:
    try:
        info = json.loads(_existing(path, remedy).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataVerificationError(f"{path} is not valid JSON ({error}): {remedy}") from None
    _check(path, isinstance(info, dict) and {"source", "caption"} <= info.keys(),
           "a JSON object with `source` and `caption`", remedy)
    return info


def load_pet(data_dir: Path) -> PetImages:
    """The terrier (downloaded) or its offline stand-in, with its masks and the info saying which."""
    folder = pet_dir(data_dir)
    remedy = FETCH_AGAIN if folder.parent.name == "downloaded" else f"{MAKE_DATA} ({FETCH_DATA})"
    image = _rgb(folder / "image.png", remedy)
    gt = _mask(folder / "gt.png", image.shape[:2], remedy)
    pred = _mask(folder / "pred.png", image.shape[:2], remedy)
    return PetImages(image, gt, pred, _info(folder / "info.json", remedy))
