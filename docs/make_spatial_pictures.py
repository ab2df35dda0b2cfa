"""Draw the pictures of docs/spatial-logic.md from a 48x48 synthetic image.

Run from the repository root: ``.venv/bin/python docs/make_spatial_pictures.py``.
Each picture is a row of panels, inputs first and the result last, each
voxel drawn as a 4x4 block with a thin grid between panels. Colours:

* bool images: false dark grey, true white (or the panel's colour);
* number images: black to white over the image's range;
* signed distances: blue inside (negative), white on 0, red outside;
* labels: one colour per component.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

import voxlogica.primitives.vox1 as vox1

OUTPUT = Path(__file__).resolve().parent / "images" / "spatial"
SIZE = 48
ZOOM = 4
GAP = 6
BACKGROUND = np.array([45, 45, 52], dtype=np.uint8)
SEPARATOR = np.array([250, 250, 250], dtype=np.uint8)


def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two masks and a grey image on a 48x48 grid."""
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    disc = (rows - 14) ** 2 + (columns - 14) ** 2 <= 8**2
    square = (rows >= 6) & (rows < 11) & (columns >= 33) & (columns < 38)
    radius = np.hypot(rows - 32, columns - 31)
    ring = (radius >= 7) & (radius <= 10)
    dot = (rows >= 31) & (rows < 34) & (columns >= 30) & (columns < 33)
    bar = (rows >= 40) & (rows < 44) & (columns >= 2) & (columns < 20)
    region = disc | square | ring | dot | bar
    seeds = np.zeros((SIZE, SIZE), dtype=bool)
    seeds[13:16, 13:16] = True
    seeds[31:34, 20:23] = True
    generator = np.random.default_rng(3)
    grey = 40 + 1.2 * columns + 20 * np.sin(rows / 5.0)
    grey = grey + 90 * disc + 60 * ring + generator.normal(0, 6, (SIZE, SIZE))
    return region, seeds, grey.astype(np.float32)


def as_image(array: np.ndarray) -> sitk.Image:
    if array.dtype == bool:
        return sitk.GetImageFromArray(array.astype(np.uint8))
    return sitk.GetImageFromArray(array.astype(np.float32))


def paint_bool(mask: np.ndarray, colour=(255, 255, 255)) -> np.ndarray:
    picture = np.empty(mask.shape + (3,), dtype=np.uint8)
    picture[:] = BACKGROUND
    picture[mask] = colour
    return picture


def paint_grey(values: np.ndarray, low=None, high=None) -> np.ndarray:
    finite = values[np.isfinite(values)]
    low = finite.min() if low is None else low
    high = finite.max() if high is None else high
    scaled = np.clip((values - low) / max(high - low, 1e-9), 0, 1)
    return np.repeat((scaled * 255).astype(np.uint8)[..., None], 3, axis=2)


def paint_signed(values: np.ndarray) -> np.ndarray:
    limit = np.abs(values[np.isfinite(values)]).max() or 1.0
    scaled = np.clip(values / limit, -1, 1)
    picture = np.empty(values.shape + (3,), dtype=np.float64)
    inside = scaled < 0
    # Blue fades to white towards 0 inside, red fades to white outside.
    picture[..., 0] = np.where(inside, 255 * (1 + scaled), 255)
    picture[..., 1] = 255 * (1 - np.abs(scaled))
    picture[..., 2] = np.where(inside, 255, 255 * (1 - scaled))
    picture[values == 0] = (20, 20, 20)
    return picture.astype(np.uint8)


def paint_labels(labels: np.ndarray) -> np.ndarray:
    palette = np.array(
        [
            (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
            (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
        ],
        dtype=np.uint8,
    )  # fmt: skip
    picture = np.empty(labels.shape + (3,), dtype=np.uint8)
    picture[:] = BACKGROUND
    inside = labels > 0
    picture[inside] = palette[(labels[inside].astype(int) - 1) % len(palette)]
    return picture


def overlay(base: np.ndarray, mask: np.ndarray, colour) -> np.ndarray:
    picture = base.copy()
    picture[mask] = (0.45 * picture[mask] + 0.55 * np.array(colour)).astype(np.uint8)
    return picture


def save(name: str, panels: list[np.ndarray]) -> None:
    zoomed = [np.repeat(np.repeat(panel, ZOOM, 0), ZOOM, 1) for panel in panels]
    height = zoomed[0].shape[0]
    gap = np.empty((height, GAP, 3), dtype=np.uint8)
    gap[:] = SEPARATOR
    row = [zoomed[0]]
    for panel in zoomed[1:]:
        row.extend([gap, panel])
    picture = np.concatenate(row, axis=1)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(
        sitk.GetImageFromArray(picture, isVector=True), str(OUTPUT / f"{name}.png")
    )


def pixels(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def main() -> None:
    region, seeds, grey = scene()
    a, s, g = as_image(region), as_image(seeds), as_image(grey)
    red, blue, green = (230, 60, 60), (70, 120, 255), (60, 200, 90)

    save("threshold", [paint_grey(grey), paint_bool(pixels(vox1.at_most(150, g)) > 0)])
    b = as_image(pixels(vox1.at_most(150, g)) > 0)
    save(
        "boolean",
        [
            paint_bool(region, red),
            paint_bool(pixels(b) > 0, blue),
            paint_bool(pixels(vox1.and_(a, b)) > 0),
            paint_bool(pixels(vox1.or_(a, b)) > 0),
            paint_bool(pixels(vox1.not_(a)) > 0),
        ],
    )
    save("border", [paint_bool(pixels(vox1.and_(vox1.border(), vox1.not_(s))) > 0)])
    near = pixels(vox1.near(a)) > 0
    save(
        "near",
        [paint_bool(region), overlay(paint_bool(near), near & ~region, red)],
    )
    inner = pixels(vox1.interior(a)) > 0
    save(
        "interior",
        [paint_bool(region), overlay(paint_bool(region), region & ~inner, red)],
    )
    reached = pixels(vox1.through(s, a)) > 0
    save(
        "through",
        [
            overlay(paint_bool(region), seeds, red),
            overlay(paint_bool(region), reached, green),
        ],
    )
    save("dt", [paint_bool(region), paint_signed(pixels(vox1.distance_transform(a)))])
    save(
        "lcc",
        [paint_bool(region), paint_labels(pixels(vox1.label_connected_components(a)))],
    )
    save(
        "maxvol",
        [paint_bool(region), paint_bool(pixels(vox1.largest_component(a)) > 0)],
    )
    ranks = pixels(vox1.percentiles(g, a, 0.5))
    save(
        "percentiles",
        [paint_grey(grey), paint_bool(region), paint_grey(np.maximum(ranks, 0), 0, 1)],
    )
    similarity = pixels(
        vox1.cross_correlation(3.0, g, g, as_image(region & (grey > 150)), 0, 255, 16)
    )
    save(
        "crossCorrelation",
        [
            paint_grey(grey),
            paint_bool(region & (grey > 150)),
            paint_grey(similarity, -1, 1),
        ],
    )
    save(
        "otsu",
        [
            paint_grey(grey),
            paint_bool(region),
            paint_bool(pixels(vox1.otsu(g, a, 64)) > 0),
        ],
    )
    save(
        "mask",
        [paint_grey(grey), paint_bool(region), paint_grey(pixels(vox1.mask(g, a)))],
    )
    save(
        "coordinates",
        [
            paint_grey(pixels(vox1.add(vox1.x(), g)) - grey),
            paint_grey(pixels(vox1.add(vox1.y(), g)) - grey),
        ],
    )

    # Standard library operators, computed from the same built-ins.
    touching = pixels(vox1.through(vox1.near(s), a)) > 0
    save(
        "touch",
        [
            overlay(paint_bool(region), seeds, red),
            overlay(paint_bool(region), touching, green),
        ],
    )
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    # a: the background near the ring's centre and, for contrast, near the
    # disc; b: the regions. Only the part of a closed in by b is surrounded.
    candidate = ~region & (
        (np.hypot(rows - 32, columns - 31) < 13)
        | (np.hypot(rows - 14, columns - 14) < 11)
    )
    hole, walls = as_image(candidate), a
    escape = vox1.not_(vox1.or_(hole, walls))
    reach = vox1.through(vox1.near(escape), vox1.not_(walls))
    may_reach = vox1.near(vox1.or_(reach, escape))
    inside = vox1.and_(hole, vox1.not_(may_reach))
    save(
        "surrounded",
        [
            overlay(paint_bool(region, blue), candidate, red),
            overlay(paint_bool(region, blue), pixels(inside) > 0, green),
        ],
    )
    distance = vox1.distance_transform(a)
    positive = vox1.mask(
        distance,
        vox1.and_(vox1.at_most(0, distance), vox1.not_(vox1.equal_to(0, distance))),
    )
    grown = pixels(vox1.at_least(3, positive)) > 0
    inverse = vox1.distance_transform(vox1.not_(a))
    inverse_positive = vox1.mask(
        inverse,
        vox1.and_(vox1.at_most(0, inverse), vox1.not_(vox1.equal_to(0, inverse))),
    )
    shrunk = ~(pixels(vox1.at_least(2, inverse_positive)) > 0)
    save(
        "dilate-erode",
        [
            paint_bool(region),
            overlay(paint_bool(grown), grown & ~region, red),
            overlay(paint_bool(region), region & ~shrunk, red),
        ],
    )


if __name__ == "__main__":
    main()
