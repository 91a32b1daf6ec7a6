"""The committed data files: the cat, an offline stand-in for the yorkshire terrier (and, through
`mllab.data.tables`, the results tables).

The course must work without the internet, so the Dice task ships a pet photo the project
builds from images inside the scikit-image wheel (all CC0): the `horse` silhouette is the pet,
filled with fur taken from `chelsea` (the cat) and coloured like a yorkshire terrier, standing
on the `grass` texture. The prediction mask is made from the ground truth by fixed operations,
so it is "a bit wrong" in the same way for the stand-in and for the real terrier.
Everything is deterministic: `make_data` writes the same bytes every time.
"""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from scipy import ndimage
from skimage import data as samples

from mllab.data.tables import write_tables

PET, BACKGROUND = 1, 2
STANDIN_INFO = {
    "source": "standin",
    "caption": (
        "This is the project's offline stand-in (scikit-image's horse silhouette with the fur of "
        "Chelsea the cat, on grass; all scikit-image CC0 images), not the Oxford-IIIT Pet yorkshire "
        "terrier: run `mllab fetch-data` for the real photo."
    ),
    "licence": "CC0 (scikit-image sample images)",
}

# Yorkshire terrier colours: a steel-grey saddle over tan head, legs and chest.
STEEL = np.array([0.34, 0.35, 0.38])
TAN = np.array([0.78, 0.56, 0.32])
# Lawn colours for the darkest and the brightest blades of the grass texture.
SHADE_GREEN = np.array([0.16, 0.24, 0.09])
SUNLIT_GREEN = np.array([0.66, 0.72, 0.40])
# The prediction's mistakes, as fractions of the pet's size (the square root of its area):
# Dice about 0.84 for the stand-in, 0.90 for an ellipse (tests/test_data.py checks several shapes).
SHIFT, GROWTH, BITE = 0.015, 0.015, 0.3


# --- the "a bit wrong" prediction -------------------------------------------------------


def dice_of_pet(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice 2|X∩Y| / (|X|+|Y|) of the pet region (label 1) of two label masks."""
    p, g = pred == PET, gt == PET
    total = p.sum() + g.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(p, g).sum() / total)


def _shifted(mask: np.ndarray, down: int, right: int) -> np.ndarray:
    """``mask`` moved by (down, right) pixels (non-negative); what enters is False."""
    out = np.zeros_like(mask)
    out[down:, right:] = mask[: mask.shape[0] - down, : mask.shape[1] - right]
    return out


def _dilated(mask: np.ndarray, radius: float) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels in every direction (a round structuring element)."""
    return ndimage.distance_transform_edt(~mask) <= radius


def _disk(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def _top_edge_point(mask: np.ndarray) -> tuple[int, int]:
    """The top of the object in the column of its centroid (its nearest pixel if that column is empty)."""
    rows, cols = np.nonzero(mask)
    middle = int(round(cols.mean()))
    in_column = rows[cols == middle]
    if in_column.size:
        return int(in_column.min()), middle
    nearest = np.argmin(np.abs(cols - middle))
    return int(rows[nearest]), int(cols[nearest])


def make_prediction(gt: np.ndarray) -> np.ndarray:
    """A deterministic, slightly wrong prediction (1 = pet, 2 = background) of a ground-truth mask.

    The pet is shifted down and right, grown at its outline and loses a round blob at its top
    edge. Every distance is a fraction of the pet's size (the square root of its area), so the
    pet's Dice lands between 0.80 and 0.95 for masks of any size.
    """
    pet = gt == PET
    if not pet.any():
        return np.full(gt.shape, BACKGROUND, np.uint8)
    size = float(np.sqrt(pet.sum()))
    step = max(1, round(SHIFT * size))
    grown = _dilated(_shifted(pet, step, step), max(1.0, GROWTH * size))
    bitten = grown & ~_disk(gt.shape, _top_edge_point(pet), BITE * size)
    return np.where(bitten, PET, BACKGROUND).astype(np.uint8)


# --- the stand-in photo --------------------------------------------------------------------


def _seamless(tile: np.ndarray) -> np.ndarray:
    """``tile`` cross-faded with itself rolled by half a tile, so copies of it join without seams."""
    height, width = tile.shape
    fade_rows = np.sin(np.pi * (np.arange(height) + 0.5) / height) ** 2
    fade_cols = np.sin(np.pi * (np.arange(width) + 0.5) / width) ** 2
    weight = np.outer(fade_rows, fade_cols)
    rolled = np.roll(tile, (height // 2, width // 2), axis=(0, 1))
    blend = weight * tile + (1 - weight) * rolled
    return 1 + (blend - blend.mean()) * (tile.std() / blend.std())


def fur_texture(shape: tuple[int, int]) -> np.ndarray:
    """Brightness factors around 1 with the strands of Chelsea's forehead, tiled over ``shape``."""
    forehead = samples.chelsea()[0:72, 110:330] @ np.array([0.299, 0.587, 0.114])
    strands = forehead / ndimage.gaussian_filter(forehead, 3)
    tile = _seamless(strands)
    repeats = (-(-shape[0] // tile.shape[0]), -(-shape[1] // tile.shape[1]))
    return np.tile(tile, repeats)[: shape[0], : shape[1]]


def _yorkie_colours(pet: np.ndarray) -> np.ndarray:
    """H×W×3 base colour: steel-grey back and tail, tan head, legs and belly, softly blended."""
    height, width = pet.shape
    rows, cols = np.ogrid[:height, :width]
    saddle = pet & (rows < 0.58 * height) & (cols < 0.75 * width)
    weight = ndimage.gaussian_filter(saddle.astype(float), 12)[..., None]
    return weight * STEEL + (1 - weight) * TAN


def _fur(pet: np.ndarray) -> np.ndarray:
    """The pet's RGB fur, darker towards its outline so the body looks round."""
    depth = ndimage.distance_transform_edt(pet)
    roundness = 0.75 + 0.25 * np.clip(depth / 15, 0, 1)
    return _yorkie_colours(pet) * (fur_texture(pet.shape) * roundness)[..., None]


def _lawn(pet: np.ndarray) -> np.ndarray:
    """RGB grass, lighter towards the top (farther away), with the pet's soft shadow."""
    height, width = pet.shape
    blades = ndimage.gaussian_filter(samples.grass()[:height, :width] / 255.0, 0.8)
    level = np.clip((blades - 0.15) / 0.7, 0, 1)[..., None]
    distance_light = (0.85 + 0.25 * (1 - np.arange(height) / height))[:, None, None]
    shadow = ndimage.gaussian_filter(_shifted(pet, 8, 10).astype(float), 6)[..., None]
    colour = SHADE_GREEN + level * (SUNLIT_GREEN - SHADE_GREEN)
    return colour * distance_light * (1 - 0.35 * shadow)


def standin_images() -> tuple[np.ndarray, np.ndarray]:
    """The stand-in photo (H×W×3 uint8) and its ground truth (uint8, 1 = pet, 2 = background)."""
    pet = ~samples.horse()
    alpha = ndimage.gaussian_filter(pet.astype(float), 0.7)[..., None]  # a soft, photo-like outline
    photo = alpha * _fur(pet) + (1 - alpha) * _lawn(pet)
    image = (np.clip(photo, 0, 1) * 255).round().astype(np.uint8)
    return image, np.where(pet, PET, BACKGROUND).astype(np.uint8)


# --- writing the files ---------------------------------------------------------------------


def write_png(path: Path, array: np.ndarray) -> None:
    """Write a uint8 image as PNG with fixed encoder settings, so the bytes are reproducible."""
    iio.imwrite(path, array, plugin="pillow", extension=".png", compress_level=9, optimize=False)


def write_pet_set(folder: Path, image: np.ndarray, gt: np.ndarray, info: dict) -> Path:
    """Write image.png, gt.png, pred.png and info.json (with the prediction's Dice) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pred = make_prediction(gt)
    write_png(folder / "image.png", image)
    write_png(folder / "gt.png", gt)
    write_png(folder / "pred.png", pred)
    info = {**info, "dice_of_pred": round(dice_of_pet(pred, gt), 4)}
    (folder / "info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


def write_standin(data_dir: Path) -> Path:
    """data/yorkshire/: the offline stand-in for the terrier, with its masks and info."""
    image, gt = standin_images()
    return write_pet_set(data_dir / "yorkshire", image, gt, STANDIN_INFO)


def write_cat(data_dir: Path) -> Path:
    """data/cat.png: scikit-image's Chelsea the cat (CC0)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    write_png(data_dir / "cat.png", samples.chelsea())
    return data_dir / "cat.png"


def make_data(data_dir: Path) -> None:
    """Write every committed data file: the cat, the terrier stand-in and the results tables."""
    write_cat(data_dir)
    write_standin(data_dir)
    write_tables(data_dir)
