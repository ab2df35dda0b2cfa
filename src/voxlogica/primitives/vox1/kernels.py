"""Array kernels behind the spatial and statistical ``vox1`` primitives.

Every function here works on numpy arrays in SimpleITK's array order
(z, y, x for 3D, y, x for 2D) and knows nothing of image geometry except
the spacing it is handed. Adjacency is always the full neighbourhood: 8
neighbours in 2D, 26 in 3D (every axis offset in {-1, 0, 1}).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import cc3d
import edt
import numpy as np
from scipy import ndimage

logger = logging.getLogger(__name__)


def _box_pass(mask: np.ndarray, combine: np.ufunc) -> np.ndarray:
    """Combine every voxel with its two neighbours along each axis in turn.

    A 3x3(x3) box is the product of three 3-voxel segments, so three 1D
    passes give the box result at a cost of two elementwise operations per
    axis. At the two ends of an axis only the neighbour that exists takes
    part: for ``or`` that makes the outside false, for ``and`` true.
    """
    current = mask
    for axis in range(mask.ndim):
        length = mask.shape[axis]
        if length == 1:
            continue
        lower = [slice(None)] * mask.ndim
        upper = [slice(None)] * mask.ndim
        lower[axis] = slice(0, length - 1)
        upper[axis] = slice(1, length)
        # pairs[i] combines voxels i and i+1; voxel i then takes pairs[i-1]
        # and pairs[i], the three voxels i-1, i, i+1.
        pairs = combine(current[tuple(lower)], current[tuple(upper)])
        result = np.empty_like(mask)
        middle = [slice(None)] * mask.ndim
        middle[axis] = slice(1, length - 1)
        if length > 2:
            pairs_low = [slice(None)] * mask.ndim
            pairs_high = [slice(None)] * mask.ndim
            pairs_low[axis] = slice(0, length - 2)
            pairs_high[axis] = slice(1, length - 1)
            combine(
                pairs[tuple(pairs_low)],
                pairs[tuple(pairs_high)],
                out=result[tuple(middle)],
            )
        first = [slice(None)] * mask.ndim
        last = [slice(None)] * mask.ndim
        first[axis] = slice(0, 1)
        last[axis] = slice(length - 1, length)
        pairs_first = [slice(None)] * mask.ndim
        pairs_last = [slice(None)] * mask.ndim
        pairs_first[axis] = slice(0, 1)
        pairs_last[axis] = slice(length - 2, length - 1)
        result[tuple(first)] = pairs[tuple(pairs_first)]
        result[tuple(last)] = pairs[tuple(pairs_last)]
        current = result
    if current is mask:
        current = mask.copy()
    return current


def dilate_box(mask: np.ndarray) -> np.ndarray:
    """Dilation by the 3x3(x3) box; voxels outside the array count as false."""
    return _box_pass(mask, np.logical_or)


def erode_box(mask: np.ndarray) -> np.ndarray:
    """Erosion by the 3x3(x3) box; voxels outside the array count as true."""
    return _box_pass(mask, np.logical_and)


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the fully connected components of ``mask``.

    Labels are consecutive from 1 in order of each component's first voxel
    in raster order (x fastest), as ITK's ConnectedComponent with full
    connectivity numbers them; the background is 0.

    Returns
    -------
    labels : numpy.ndarray
        Unsigned integer labels, same shape as ``mask``.
    count : int
        Number of components.
    """
    # cc3d fails on volumes with two axes of length 1 (lines), where scipy's
    # labelling is as fast.
    is_line = sum(length > 1 for length in mask.shape) <= 1
    if mask.ndim in (2, 3) and not is_line:
        # cc3d numbers 3D components in first-voxel order but not 2D ones;
        # a 2D slice seen as a 1-voxel-thick volume has the same 26-neighbour
        # components as its 8-neighbour ones, and the 3D numbering.
        volume = mask if mask.ndim == 3 else mask[np.newaxis]
        labels, count = cc3d.connected_components(
            np.ascontiguousarray(volume), connectivity=26, return_N=True
        )
        return labels.reshape(mask.shape), int(count)
    structure = np.ones((3,) * mask.ndim, dtype=bool)
    labels, count = ndimage.label(mask, structure=structure)
    return labels, int(count)


def through(seeds: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Components of ``region`` that contain at least one voxel of ``seeds``."""
    labels, count = label_components(region)
    reached = np.zeros(count + 1, dtype=bool)
    reached[labels[seeds & region]] = True
    reached[0] = False
    return np.take(reached, labels)


def largest_components(mask: np.ndarray) -> np.ndarray:
    """Union of the components of ``mask`` of maximal voxel count."""
    labels, count = label_components(mask)
    if count == 0:
        return np.zeros(mask.shape, dtype=bool)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    keep = sizes == sizes.max()
    return np.take(keep, labels)


def signed_distance(mask: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Signed Euclidean distance to the region's boundary, in physical units.

    Matches ITK's SignedMaurerDistanceMap with insideIsPositive=False,
    squaredDistance=False and useImageSpacing=True: the boundary is the set of
    region voxels with a non-region voxel among their 8 (2D) or 26 (3D)
    neighbours, voxels outside the image not counting; every voxel gets the
    distance between voxel centres to the nearest boundary voxel, negated
    inside the region (boundary voxels get -0.0).

    A region with no boundary voxel has no finite answer: an empty region
    gives +inf everywhere, a region covering the whole image -inf everywhere.
    """
    boundary = mask & ~erode_box(mask)
    if not boundary.any():
        fill = -np.inf if mask.any() else np.inf
        return np.full(mask.shape, fill, dtype=np.float32)
    distances = edt.edt(
        np.logical_not(boundary),
        anisotropy=tuple(float(step) for step in spacing),
        black_border=False,
    ).astype(np.float32, copy=False)
    np.negative(distances, out=distances, where=mask)
    return distances


def _expanded_box(mask: np.ndarray, margins: Sequence[int]) -> tuple[slice, ...]:
    """The bounding box of ``mask``'s true voxels, grown by ``margins``, clipped."""
    box = []
    for axis, margin in enumerate(margins):
        others = tuple(a for a in range(mask.ndim) if a != axis)
        present = np.flatnonzero(mask.any(axis=others))
        low = max(int(present[0]) - margin, 0)
        high = min(int(present[-1]) + margin + 1, mask.shape[axis])
        box.append(slice(low, high))
    return tuple(box)


def distance_from_region(
    mask: np.ndarray, spacing: Sequence[float], radius: float
) -> tuple[tuple[slice, ...], np.ndarray] | None:
    """Distance (mm) to the nearest region voxel, where it can matter for ``radius``.

    This is the stdlib's ``pdt``, the positive part of ``dt``: outside the
    region the nearest boundary voxel is also the nearest region voxel, so
    both measure the same centre-to-centre distance; 0 on the region. It is
    computed only in a box outside which every answer about ``radius`` is
    known: farther than ``radius`` from the region's bounding box every
    distance exceeds it, and beyond one voxel from the bounding box of the
    complement every voxel is in the region. Returns (box, float32 distances
    in it), or None for an empty region (every distance infinite).
    """
    if not mask.any():
        return None
    margins = [int(np.ceil(max(radius, 0.0) / step)) + 1 for step in spacing]
    box = _expanded_box(mask, margins)
    complement = ~mask
    if complement.any():
        other = _expanded_box(complement, [1] * mask.ndim)
        box = tuple(
            slice(
                max(a.start, b.start), max(min(a.stop, b.stop), max(a.start, b.start))
            )
            for a, b in zip(box, other, strict=True)
        )
    else:
        box = tuple(slice(0, 0) for _ in mask.shape)
    cropped = complement[box]
    if cropped.size == 0 or not cropped.any():
        return box, np.zeros(cropped.shape, dtype=np.float32)
    distances = edt.edt(
        cropped,
        anisotropy=tuple(float(step) for step in spacing),
        black_border=False,
    ).astype(np.float32, copy=False)
    return box, distances


def within_distance(mask: np.ndarray, spacing: Sequence[float], radius: float):
    """``distleq(radius, mask)``: voxels at distance at most ``radius`` (mm)."""
    if not radius >= 0:
        return np.zeros(mask.shape, dtype=bool)
    found = distance_from_region(mask, spacing, radius)
    if found is None:
        return np.zeros(mask.shape, dtype=bool)
    box, distances = found
    result = mask.copy()
    # float32 distances against the radius, as `radius .>= pdt(mask)` does.
    result[box] = distances <= np.float32(radius)
    return result


def beyond_distance(mask: np.ndarray, spacing: Sequence[float], radius: float):
    """``distgeq(radius, mask)``: voxels at distance at least ``radius`` (mm)."""
    if radius != radius:  # NaN compares false everywhere
        return np.zeros(mask.shape, dtype=bool)
    found = distance_from_region(mask, spacing, radius)
    if found is None:
        return np.ones(mask.shape, dtype=bool)
    if radius <= 0:
        return np.ones(mask.shape, dtype=bool)
    box, distances = found
    result = ~mask
    result[box] = distances >= np.float32(radius)
    return result


def percentile_ranks(
    values: np.ndarray, mask: np.ndarray, correction: float
) -> np.ndarray:
    """Rank of each masked value among the masked values, in [0, 1].

    ``(count of masked values smaller + correction * count equal) / count``,
    computed in double precision; -1 outside the mask (and everywhere when
    the mask is empty).
    """
    result = np.full(values.shape, -1.0, dtype=np.float32)
    population = values[mask]
    if population.size == 0:
        return result
    order = np.argsort(population)
    ordered = population[order]
    # Start of each run of equal values in the sorted population.
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    run_lengths = np.diff(np.append(starts, ordered.size))
    rank_of_run = (starts + correction * run_lengths) / ordered.size
    ranks = np.empty(ordered.size, dtype=np.float64)
    ranks[order] = np.repeat(rank_of_run, run_lengths)
    result[mask] = ranks
    return result


def _box_sum(counts: np.ndarray, radii: Sequence[int]) -> np.ndarray:
    """Sum of ``counts`` over the box of half-width ``radii``, clipped at edges.

    Per axis, a prefix sum and subtractions of shifted views (no gathers):
    voxel ``i`` gets ``prefix[min(i + r + 1, n)] - prefix[max(i - r, 0)]``.
    Each end either slides with ``i`` or sits at the array's end, and the
    positions ``r`` and ``n - r`` split the axis into runs where neither
    changes kind.
    """
    total = counts
    for axis, radius in enumerate(radii):
        length = total.shape[axis]
        moved = np.moveaxis(total, axis, 0)
        prefix = np.empty((length + 1,) + moved.shape[1:], dtype=moved.dtype)
        prefix[0] = 0
        np.cumsum(moved, axis=0, out=prefix[1:])
        summed = np.empty_like(moved)
        edges = sorted(
            {0, length} | {i for i in (radius, length - radius) if 0 < i < length}
        )
        for first, last in zip(edges[:-1], edges[1:], strict=True):
            if first <= length - radius - 1:
                upper = prefix[first + radius + 1 : last + radius + 1]
            else:
                upper = prefix[length : length + 1]
            if first >= radius:
                lower = prefix[first - radius : last - radius]
            else:
                lower = prefix[0:1]
            np.subtract(upper, lower, out=summed[first:last])
        total = np.moveaxis(summed, 0, axis)
    return np.ascontiguousarray(total)


def histogram_bins(
    values: np.ndarray, low: float, high: float, bins: int
) -> np.ndarray:
    """Bin index of every value for ``bins`` equal bins over [low, high).

    Values outside the range get -1. The index is
    ``int((value - low) / ((high - low) / bins))`` in double precision, as in
    VoxLogicA 1, clamped to the last bin against rounding.
    """
    as_double = values.astype(np.float64)
    inside = (as_double >= low) & (as_double < high)
    if not inside.any():
        return np.full(values.shape, -1, dtype=np.int64)
    width = (high - low) / bins
    index = np.full(values.shape, -1, dtype=np.int64)
    index[inside] = np.minimum(
        ((as_double[inside] - low) / width).astype(np.int64), bins - 1
    )
    return index


def cross_correlation(
    local: np.ndarray,
    target: np.ndarray,
    target_mask: np.ndarray,
    radii: Sequence[int],
    low: float,
    high: float,
    bins: int,
) -> np.ndarray:
    """Pearson correlation of windowed histograms with a global histogram.

    For every voxel, the ``bins``-bin histogram over [low, high) of ``local``
    in the box of half-width ``radii`` (clipped at the image edges) is
    compared with the histogram of ``target`` over ``target_mask``. When both
    histograms are constant the result is 1, when exactly one is it is 0.

    The correlation is computed from three box sums per voxel, in exact
    integer arithmetic up to the final division:
    ``S1 = sum h1``, ``S2 = sum h1^2``, ``S12 = sum h1 * h2``, with
    ``r = (k S12 - S1 T2) / sqrt((k S2 - S1^2) (k Q2 - T2^2))`` where ``T2``
    and ``Q2`` are the sum and the sum of squares of the global histogram.
    """
    local_bins = histogram_bins(local, low, high, bins)
    target_bins = histogram_bins(target[target_mask], low, high, bins)
    global_histogram = np.bincount(
        target_bins[target_bins >= 0], minlength=bins
    ).astype(np.int64)
    total_target = int(global_histogram.sum())
    square_target = int((global_histogram * global_histogram).sum())
    spread_target = bins * square_target - total_target * total_target

    in_range = local_bins >= 0
    window_count = _box_sum(in_range.astype(np.int32), radii).astype(np.int64)
    # h2 looked up at every windowed voxel's bin sums to sum_j h1_j * h2_j.
    weights = np.where(in_range, global_histogram[np.maximum(local_bins, 0)], 0)
    window_product = _box_sum(weights.astype(np.int64), radii)
    window_squares = np.zeros(local.shape, dtype=np.int64)
    for bin_index in np.unique(local_bins[in_range]):
        count = _box_sum((local_bins == bin_index).astype(np.int32), radii)
        # A window count is at most (2r+1)^3, so its square fits in int32.
        np.multiply(count, count, out=count)
        window_squares += count

    spread_local = bins * window_squares - window_count * window_count
    covariance = bins * window_product - window_count * total_target
    result = np.empty(local.shape, dtype=np.float64)
    flat_local = spread_local == 0
    if spread_target == 0:
        result[:] = np.where(flat_local, 1.0, 0.0)
    else:
        denominator = np.sqrt(spread_local.astype(np.float64) * float(spread_target))
        safe = np.where(flat_local, 1.0, denominator)
        result[:] = np.where(flat_local, 0.0, covariance / safe)
    return result.astype(np.float32)
