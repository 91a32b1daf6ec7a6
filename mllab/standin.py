"""The committed data files: the cat, and an offline stand-in for the yorkshire terrier.

No internet reaches the course's machines, so the Dice task ships a pet photo the project
builds itself from images inside the scikit-image wheel (all CC0): the `horse` silhouette is
the pet's shape, filled with the fur of `chelsea` (the cat) and laid on the `grass` texture.
The prediction mask is made from the ground truth by fixed operations, so it is "a bit wrong"
in the same way for the stand-in and for the real terrier.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import data as samples
from skimage import io

PET, BACKGROUND = 1, 2
STANDIN_CAPTION = (
    "Offline stand-in made by the course tools: scikit-image's horse silhouette filled with the fur "
    "of Chelsea the cat on a grass texture (all CC0) — not the Oxford-IIIT Pet yorkshire terrier; "
    "run `mllab fetch-data` for the real photo."
)


def dice_of_pet(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice of the pet region (label 1) of two label masks."""
    p, g = pred == PET, gt == PET
    return float(2 * np.logical_and(p, g).sum() / (p.sum() + g.sum()))


def _disk(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def make_prediction(gt: np.ndarray) -> np.ndarray:
    """A deterministic, slightly wrong prediction of a 1 = pet / 2 = background mask.

    The pet region is shifted, its outline smoothed, a bite taken out of it and a false blob
    added beside it; every size is relative to the pet's size, so any mask gets a Dice of
    about 0.85–0.9.
    """
    pet = gt == PET
    size = np.sqrt(pet.sum())
    shift = max(1, int(round(0.025 * size)))
    moved = ndimage.shift(pet.astype(float), (shift, shift), order=0, mode="constant") > 0.5
    smooth = ndimage.binary_opening(moved, iterations=max(1, int(round(0.02 * size))))
    rows, cols = np.nonzero(pet)
    middle = int(round(cols.mean()))
    top = (rows[cols == middle].min() if (cols == middle).any() else rows.min(), middle)
    bitten = smooth & ~_disk(gt.shape, top, 0.15 * size)
    blob = _disk(gt.shape, (rows.mean(), cols.max() + 0.05 * size), 0.12 * size)
    return np.where(bitten | blob, PET, BACKGROUND).astype(np.uint8)


def standin_images() -> tuple[np.ndarray, np.ndarray]:
    """The stand-in photo (H×W×3 uint8) and its ground truth (1 = pet, 2 = background)."""
    pet = ~samples.horse()
    shape = pet.shape
    forehead = samples.chelsea()[5:75, 120:300] / 255.0  # striped fur, no eyes
    fur = np.pad(forehead, ((0, shape[0] - 70), (0, shape[1] - 180), (0, 0)), mode="symmetric")
    grass = samples.grass()[: shape[0], : shape[1]] / 255.0
    lawn = np.stack([0.15 + 0.35 * grass, 0.3 + 0.5 * grass, 0.1 + 0.2 * grass], axis=-1)
    photo = np.where(pet[..., None], fur, lawn)
    gt = np.where(pet, PET, BACKGROUND).astype(np.uint8)
    return (np.clip(photo, 0, 1) * 255).round().astype(np.uint8), gt


def write_pet_set(folder: Path, image: np.ndarray, gt: np.ndarray, info: dict) -> Path:
    """Write image.png, gt.png, pred.png and info.json (with the prediction's Dice) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pred = make_prediction(gt)
    io.imsave(folder / "image.png", image, check_contrast=False)
    io.imsave(folder / "gt.png", gt, check_contrast=False)
    io.imsave(folder / "pred.png", pred, check_contrast=False)
    info = {**info, "dice_of_pred": round(dice_of_pet(pred, gt), 4)}
    (folder / "info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


def write_standin(data_dir: Path) -> Path:
    """data/yorkshire/: the offline stand-in for the terrier, with its masks."""
    image, gt = standin_images()
    info = {"source": "standin", "caption": STANDIN_CAPTION, "licence": "CC0 (scikit-image sample images)"}
    return write_pet_set(data_dir / "yorkshire", image, gt, info)


def write_cat(data_dir: Path) -> Path:
    """data/cat.png: scikit-image's Chelsea the cat (CC0)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    io.imsave(data_dir / "cat.png", samples.chelsea(), check_contrast=False)
    return data_dir / "cat.png"


def make_data(data_dir: Path) -> None:
    """Write every committed data file."""
    write_cat(data_dir)
    write_standin(data_dir)
