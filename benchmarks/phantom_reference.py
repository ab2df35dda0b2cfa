#!/usr/bin/env python3
"""Reference (plain numpy/scipy) run of the glioblastoma method on the phantoms.

This is the TACAS 2019 VoxLogicA glioblastoma segmentation without its final
cross-correlation (texture) refinement, written directly with array operations so
that it needs none of the project's own engine. It tells whether the phantoms of
``examples/make_phantoms.py`` behave like real FLAIR data for the method: it
prints, per case, the Dice of ``growTum`` against the generator's reference mask,
the time taken, and the mean Dice.

The ImgQL being reproduced, with the published thresholds:

    background   = touch(flair <. 0.1, border)
    brain        = !background
    pflair       = percentiles(flair, brain, 0.5)
    hI           = pflair >. 0.95
    vI           = pflair >. 0.86
    hyperIntense = smoothen(5.0, hI)
    veryIntense  = smoothen(2.0, vI)
    growTum      = grow(hyperIntense, veryIntense)

Connectivity is 26 everywhere; distances are Euclidean, in mm, between voxel
centres, as VoxLogicA computes them with signed Maurer distance maps.

Usage: ``python benchmarks/phantom_reference.py [--data examples/phantoms]
[--cases 10] [--seed 0] [--preview DIR]``. The dataset is generated first if it is
missing (which is a no-op when it is complete).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cc3d
import edt
import numpy as np
import SimpleITK as sitk

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "examples"))

import make_phantoms  # noqa: E402  (lives in examples/, found through sys.path)

BACKGROUND_THRESHOLD = 0.1
HYPER_INTENSE_PERCENTILE = 0.95
VERY_INTENSE_PERCENTILE = 0.86
HYPER_INTENSE_RADIUS_MM = 5.0
VERY_INTENSE_RADIUS_MM = 2.0


def touching_border(mask: np.ndarray) -> np.ndarray:
    """The 26-connected components of ``mask`` that contain an image-border voxel."""
    labels = cc3d.connected_components(mask, connectivity=26)
    faces = [
        labels[0],
        labels[-1],
        labels[:, 0],
        labels[:, -1],
        labels[:, :, 0],
        labels[:, :, -1],
    ]
    border_labels = np.unique(np.concatenate([face.ravel() for face in faces]))
    border_labels = border_labels[border_labels != 0]
    return np.isin(labels, border_labels)


def percentiles(values: np.ndarray, mask: np.ndarray, correction: float) -> np.ndarray:
    """Rank of each masked voxel among the masked voxels, in [0, 1]; -1 elsewhere.

    A voxel's rank is (voxels with a smaller value + correction * voxels with the
    same value) / masked voxels, so ties share one rank.
    """
    result = np.full(values.shape, -1.0, dtype=np.float32)
    population = values[mask]
    distinct, inverse, counts = np.unique(
        population, return_inverse=True, return_counts=True
    )
    below = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ranks = (below + correction * counts) / population.size
    result[mask] = ranks[inverse]
    return result


def smoothen(radius_mm: float, mask: np.ndarray, spacing_zyx) -> np.ndarray:
    """Points within ``radius_mm`` of the points at least ``radius_mm`` from outside.

    That is an opening by a Euclidean ball: thin parts and isolated specks vanish
    while thick regions keep their shape. As in VoxLogicA, both distances are
    between voxel centres and both comparisons include the radius, so a surviving
    region can gain up to a voxel at its edge.
    """
    far_from_outside = edt.edt(mask, anisotropy=spacing_zyx) >= radius_mm
    if not far_from_outside.any():
        return np.zeros_like(mask)
    return edt.edt(~far_from_outside, anisotropy=spacing_zyx) <= radius_mm


def grow(seed: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``seed`` plus the 26-connected components of ``region`` that reach it."""
    labels = cc3d.connected_components(seed | region, connectivity=26)
    reached = np.unique(labels[seed])
    return np.isin(labels, reached[reached != 0])


def segment(flair: np.ndarray, spacing_zyx) -> dict[str, np.ndarray]:
    """Run the method; return its intermediate regions by their ImgQL names."""
    background = touching_border(flair < BACKGROUND_THRESHOLD)
    brain = ~background
    pflair = percentiles(flair, brain, 0.5)
    hyper_intense = smoothen(
        HYPER_INTENSE_RADIUS_MM, pflair > HYPER_INTENSE_PERCENTILE, spacing_zyx
    )
    very_intense = smoothen(
        VERY_INTENSE_RADIUS_MM, pflair > VERY_INTENSE_PERCENTILE, spacing_zyx
    )
    return {
        "brain": brain,
        "hyperIntense": hyper_intense,
        "veryIntense": very_intense,
        "growTum": grow(hyper_intense, very_intense),
    }


def dice(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum()) + int(b.sum())
    return 2.0 * int((a & b).sum()) / total if total else 1.0


def outline(mask: np.ndarray) -> np.ndarray:
    """The voxels of a 2-D mask that have a 4-neighbour outside it."""
    padded = np.pad(mask, 1)
    interior = (
        padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    return mask & ~interior


def write_preview(path: Path, flair, reference, found) -> None:
    """Axial slice through the lesion, twice the size: on the left with outlines
    (reference in red, growTum in green, both in yellow), on the right plain."""
    z = int(np.argmax(reference.sum(axis=(1, 2))))
    grey = np.clip(flair[z] / max(float(np.percentile(flair[z], 99.9)), 1e-6), 0, 1)
    grey = (255 * grey).astype(np.uint8)
    red, green, blue = grey.copy(), grey.copy(), grey.copy()
    reference_edge = outline(reference[z].astype(bool))
    found_edge = outline(found[z].astype(bool))
    red[reference_edge] = 255
    green[reference_edge] = 0
    blue[reference_edge] = 0
    green[found_edge] = 255
    red[found_edge & ~reference_edge] = 0
    blue[found_edge] = 0

    def radiological(plane: np.ndarray) -> np.ndarray:
        # With the template's direction, rows run from posterior to anterior and
        # columns from the patient's left to right; turning the slice by 180
        # degrees gives the radiological view (anterior up, patient's left on the
        # right). Each voxel becomes 2x2 pixels so the outlines stay visible.
        return np.kron(plane[::-1, ::-1], np.ones((2, 2), dtype=np.uint8))

    channels = [
        np.concatenate([radiological(c), radiological(grey)], axis=1)
        for c in (red, green, blue)
    ]
    image = sitk.Compose([sitk.GetImageFromArray(c) for c in channels])
    sitk.WriteImage(image, str(path))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=make_phantoms.DEFAULT_OUT)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--preview", type=Path, help="write one PNG slice per case into this folder"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    make_phantoms.build_dataset(
        arguments.data, arguments.cases, arguments.seed, arguments.scale
    )
    if arguments.preview:
        arguments.preview.mkdir(parents=True, exist_ok=True)
    print(
        f"{'case':<8}{'brain cm3':>10}{'ref cm3':>9}{'hyper cm3':>10}"
        f"{'growTum cm3':>12}{'Dice':>7}{'seconds':>9}"
    )
    scores, seconds = [], []
    for case_index in range(arguments.cases):
        flair_path, seg_path = make_phantoms.case_paths(arguments.data, case_index)
        flair_image = sitk.ReadImage(str(flair_path), sitk.sitkFloat32)
        flair = sitk.GetArrayFromImage(flair_image)
        reference = sitk.GetArrayFromImage(sitk.ReadImage(str(seg_path))) > 0
        spacing_zyx = flair_image.GetSpacing()[::-1]
        voxel_cm3 = float(np.prod(spacing_zyx)) / 1000.0

        started = time.perf_counter()
        regions = segment(flair, spacing_zyx)
        elapsed = time.perf_counter() - started
        score = dice(regions["growTum"], reference)
        scores.append(score)
        seconds.append(elapsed)
        print(
            f"case_{case_index:02d} {regions['brain'].sum() * voxel_cm3:10.1f}"
            f"{reference.sum() * voxel_cm3:9.1f}"
            f"{regions['hyperIntense'].sum() * voxel_cm3:10.1f}"
            f"{regions['growTum'].sum() * voxel_cm3:12.1f}"
            f"{score:7.3f}{elapsed:9.2f}"
        )
        if arguments.preview:
            write_preview(
                arguments.preview / f"case_{case_index:02d}.png",
                flair,
                reference,
                regions["growTum"],
            )
    print(
        f"mean Dice {np.mean(scores):.3f} (min {np.min(scores):.3f}), "
        f"mean time {np.mean(seconds):.2f} s per case"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
