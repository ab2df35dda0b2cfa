"""Time the ``vox1`` spatial kernels next to their plain SimpleITK equivalents.

Run with ``.venv/bin/python benchmarks/kernels.py [--size N] [--repeat R]``.
Prints one row per operation: the best time of ``vox1`` and of the library
equivalent, measured in the same run on the same data (a random mask and a
random image of N^3 voxels, fixed seed), and their ratio (library / vox1:
above 1 means vox1 is faster). crossCorrelation is compared with a
straightforward per-voxel reference on a smaller volume, since that
reference is far too slow at full size.

This is a script, not a test: it takes tens of seconds at N = 256.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import SimpleITK as sitk
from scipy import stats

import voxlogica.primitives.vox1 as vox1


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def sitk_through(seeds: sitk.Image, region: sitk.Image) -> sitk.Image:
    labels = sitk.ConnectedComponent(region, True)
    seed_labels = np.unique(sitk.GetArrayViewFromImage(sitk.Mask(labels, seeds)))
    seed_labels = seed_labels[seed_labels != 0]
    label_array = sitk.GetArrayViewFromImage(labels)
    result = sitk.GetImageFromArray(np.isin(label_array, seed_labels).astype(np.uint8))
    result.CopyInformation(region)
    return result


def numpy_rank_percentiles(
    values: np.ndarray, mask: np.ndarray, correction: float
) -> np.ndarray:
    population = values[mask]
    ordered = np.sort(population)
    below = np.searchsorted(ordered, population, side="left")
    equal = np.searchsorted(ordered, population, side="right") - below
    result = np.full(values.shape, -1.0, dtype=np.float32)
    result[mask] = (below + correction * equal) / population.size
    return result


def scipy_rank_percentiles(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    # rankdata's "average" rank is (below + (equal + 1) / 2); c = 0.5 differs
    # from it by a constant 0.5, so the work done is the same.
    result = np.full(values.shape, -1.0, dtype=np.float32)
    population = values[mask]
    result[mask] = (stats.rankdata(population) - 0.5) / population.size
    return result


def reference_cross_correlation(
    local: np.ndarray,
    target: np.ndarray,
    target_mask: np.ndarray,
    radii: tuple[int, ...],
    low: float,
    high: float,
    bins: int,
) -> np.ndarray:
    """One histogram per voxel with numpy.histogram, then Pearson."""
    edges = np.linspace(low, high, bins + 1)
    global_histogram, _ = np.histogram(target[target_mask], bins=edges)
    result = np.empty(local.shape, dtype=np.float32)
    for index in np.ndindex(local.shape):
        window = tuple(
            slice(max(position - radius, 0), position + radius + 1)
            for position, radius in zip(index, radii, strict=True)
        )
        histogram, _ = np.histogram(local[window], bins=edges)
        flat_local = histogram.std() == 0
        flat_global = global_histogram.std() == 0
        if flat_local or flat_global:
            result[index] = 1.0 if flat_local and flat_global else 0.0
        else:
            result[index] = np.corrcoef(histogram, global_histogram)[0, 1]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cc-size", type=int, default=24)
    arguments = parser.parse_args()
    size, repeat = arguments.size, arguments.repeat

    generator = np.random.default_rng(20240611)
    mask_array = generator.random((size, size, size)) < 0.5
    values_array = generator.random((size, size, size), dtype=np.float32)
    # Sparse seeds: through is then a genuine selection of components.
    seeds_array = generator.random((size, size, size)) < 1e-4
    mask = sitk.GetImageFromArray(mask_array.astype(np.uint8))
    seeds = sitk.GetImageFromArray(seeds_array.astype(np.uint8))
    values = sitk.GetImageFromArray(values_array)
    for image in (mask, seeds, values):
        image.SetSpacing((0.9, 1.1, 2.5))
        image.SetOrigin((0.0, 0.0, 0.0))
    # Sparse region for through: many components, as in real masks.
    sparse_array = generator.random((size, size, size)) < 0.2
    sparse = sitk.GetImageFromArray(sparse_array.astype(np.uint8))
    sparse.CopyInformation(mask)

    box = [1, 1, 1]
    rows: list[tuple[str, str, float, float]] = []

    def compare(name: str, library: str, ours, theirs) -> None:
        ours_time = best_time(ours, repeat)
        theirs_time = best_time(theirs, repeat)
        rows.append((name, library, ours_time, theirs_time))

    compare(
        "near",
        "sitk.BinaryDilate(box, r=1)",
        lambda: vox1.near(mask),
        lambda: sitk.BinaryDilate(mask, box, sitk.sitkBox),
    )
    compare(
        "interior",
        "sitk.BinaryErode(box, r=1)",
        lambda: vox1.interior(mask),
        lambda: sitk.BinaryErode(mask, box, sitk.sitkBox),
    )
    compare(
        "through (20% region)",
        "sitk.ConnectedComponent + select",
        lambda: vox1.through(seeds, sparse),
        lambda: sitk_through(seeds, sparse),
    )
    compare(
        "through (50% region)",
        "sitk.ConnectedComponent + select",
        lambda: vox1.through(seeds, mask),
        lambda: sitk_through(seeds, mask),
    )
    compare(
        "dt",
        "sitk.SignedMaurerDistanceMap",
        lambda: vox1.distance_transform(sparse),
        lambda: sitk.SignedMaurerDistanceMap(
            sparse, insideIsPositive=False, squaredDistance=False, useImageSpacing=True
        ),
    )
    # distleq on a compact region (a ball, like a lesion) and on the random
    # 20% mask, whose bounding box is the whole volume: the kernel computes
    # distances only where the answer is not already known.
    z, y, x = np.ogrid[:size, :size, :size]
    centre = size // 2
    ball_array = (z - centre) ** 2 + (y - centre) ** 2 + (x - centre) ** 2 < (
        size // 8
    ) ** 2
    ball = sitk.GetImageFromArray(ball_array.astype(np.uint8))
    ball.CopyInformation(mask)

    def sitk_distleq(region: sitk.Image, radius: float) -> sitk.Image:
        distances = sitk.SignedMaurerDistanceMap(
            region, insideIsPositive=False, squaredDistance=False, useImageSpacing=True
        )
        return sitk.BinaryThreshold(distances, -1e30, radius, 1, 0)

    compare(
        "distleq 5 mm (compact ball)",
        "SignedMaurerDistanceMap + threshold",
        lambda: vox1.within(5.0, ball),
        lambda: sitk_distleq(ball, 5.0),
    )
    compare(
        "distleq 5 mm (20% random)",
        "SignedMaurerDistanceMap + threshold",
        lambda: vox1.within(5.0, sparse),
        lambda: sitk_distleq(sparse, 5.0),
    )
    compare(
        "percentiles",
        "numpy sort + searchsorted",
        lambda: vox1.percentiles(values, mask, 0.5),
        lambda: numpy_rank_percentiles(values_array, mask_array, 0.5),
    )
    compare(
        "percentiles",
        "scipy.stats.rankdata",
        lambda: vox1.percentiles(values, mask, 0.5),
        lambda: scipy_rank_percentiles(values_array, mask_array),
    )

    small = arguments.cc_size
    small_values = values_array[:small, :small, :small]
    small_mask = mask_array[:small, :small, :small]
    small_image = sitk.GetImageFromArray(small_values)
    small_mask_image = sitk.GetImageFromArray(small_mask.astype(np.uint8))
    compare(
        f"crossCorrelation ({small}^3, r=2, 16 bins)",
        "per-voxel numpy.histogram",
        lambda: vox1.cross_correlation(
            2.0, small_image, small_image, small_mask_image, 0.0, 1.0, 16
        ),
        lambda: reference_cross_correlation(
            small_values, small_values, small_mask, (2, 2, 2), 0.0, 1.0, 16
        ),
    )
    full_time = best_time(
        lambda: vox1.cross_correlation(2.5, values, values, mask, 0.0, 1.0, 16), 1
    )

    print(f"vox1 kernels vs library equivalents, {size}^3 voxels, best of {repeat}")
    header = f"{'operation':40} {'library equivalent':34} {'vox1':>9} {'library':>9}"
    print(header + f" {'library/vox1':>12}")
    print("-" * (len(header) + 13))
    for name, library, ours_time, theirs_time in rows:
        print(
            f"{name:40} {library:34} {ours_time:8.3f}s {theirs_time:8.3f}s "
            f"{theirs_time / ours_time:11.2f}x"
        )
    print(
        f"{'crossCorrelation (' + str(size) + '^3, r=2.5mm, 16 bins)':40} "
        f"{'(no library equivalent)':34} {full_time:8.3f}s"
    )


if __name__ == "__main__":
    main()
