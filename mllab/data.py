"""Load the lab's images, with an error that names the missing file and the command that makes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skimage import io

from mllab.errors import DataFileMissing

PET_FILES = ("image.png", "gt.png", "pred.png", "info.json")
MAKE_DATA = "run `mllab make-data` in the course folder to rebuild the committed data files"


@dataclass(frozen=True)
class PetImages:
    """The Dice task's photo, ground truth and prediction (1 = pet, 2 = background)."""

    image: np.ndarray
    gt: np.ndarray
    pred: np.ndarray
    info: dict


def data_dir(course_root: Path) -> Path:
    return course_root / "data"


def pet_dir(data: Path) -> Path:
    """The downloaded terrier if it is complete, else the committed offline stand-in."""
    downloaded = data / "downloaded" / "yorkshire"
    if all((downloaded / name).is_file() for name in PET_FILES):
        return downloaded
    return data / "yorkshire"


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise DataFileMissing(f"{path} is missing: {MAKE_DATA} (or `mllab fetch-data` for the real terrier)")
    return path


def load_cat(data: Path) -> np.ndarray:
    """Chelsea the cat as float64 H×W×3 in [0, 1]."""
    return io.imread(_existing(data / "cat.png")).astype(np.float64) / 255.0


def load_pet(data: Path) -> PetImages:
    """The terrier (or its stand-in) with its masks and the info saying which one it is."""
    folder = pet_dir(data)
    image, gt, pred = (io.imread(_existing(folder / name)) for name in PET_FILES[:3])
    info = json.loads(_existing(folder / "info.json").read_text(encoding="utf-8"))
    return PetImages(image, gt, pred, info)
