"""Tests of examples/make_phantoms.py on a coarse grid (2.5 mm voxels) for speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import make_phantoms  # noqa: E402  (lives in examples/, found through sys.path)

SCALE = 2.5
CASES = 2


def read(path: Path) -> tuple[sitk.Image, np.ndarray]:
    image = sitk.ReadImage(str(path))
    return image, sitk.GetArrayFromImage(image)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("phantoms")
    make_phantoms.build_dataset(
        out, cases=CASES, seed=0, scale=SCALE, log=lambda _: None
    )
    return out


def case_files(out: Path) -> list[Path]:
    return [p for i in range(CASES) for p in make_phantoms.case_paths(out, i)]


def test_same_seed_gives_the_same_bytes(dataset, tmp_path):
    again = tmp_path / "again"
    make_phantoms.build_dataset(again, cases=CASES, seed=0, scale=SCALE, log=print)
    for first, second in zip(case_files(dataset), case_files(again), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_another_seed_gives_another_dataset(dataset, tmp_path):
    other = tmp_path / "other"
    make_phantoms.build_dataset(other, cases=1, seed=1, scale=SCALE, log=print)
    first = make_phantoms.case_paths(dataset, 0)[1].read_bytes()
    assert make_phantoms.case_paths(other, 0)[1].read_bytes() != first


def test_a_case_does_not_depend_on_the_number_of_cases(dataset, tmp_path):
    single = tmp_path / "single"
    make_phantoms.build_dataset(single, cases=1, seed=0, scale=SCALE, log=print)
    for first, second in zip(
        make_phantoms.case_paths(dataset, 0),
        make_phantoms.case_paths(single, 0),
        strict=True,
    ):
        assert first.read_bytes() == second.read_bytes()


def test_grid_is_the_brats_field_of_view_with_the_template_direction(dataset):
    expected_size = tuple(round(n / SCALE) for n in make_phantoms.BRATS_SIZE_XYZ)
    mni = sitk.ReadImage(str(make_phantoms.DATA_DIR / "mni152_t1.nii.gz"))
    for path in case_files(dataset):
        image, _ = read(path)
        assert image.GetSize() == expected_size
        assert image.GetSpacing() == pytest.approx((SCALE,) * 3)
        assert image.GetDirection() == pytest.approx(mni.GetDirection())
    flair, _ = read(make_phantoms.case_paths(dataset, 0)[0])
    seg, _ = read(make_phantoms.case_paths(dataset, 0)[1])
    assert flair.GetOrigin() == pytest.approx(seg.GetOrigin())
    assert flair.GetPixelID() == sitk.sitkFloat32
    assert seg.GetPixelID() == sitk.sitkUInt8


def test_full_resolution_grid_is_a_crop_of_the_template():
    grid = make_phantoms.output_grid(1.0)
    mni = sitk.ReadImage(str(make_phantoms.DATA_DIR / "mni152_t1.nii.gz"))
    assert grid.GetSize() == make_phantoms.BRATS_SIZE_XYZ
    first = mni.TransformContinuousIndexToPhysicalPoint(
        make_phantoms.MNI_INDEX_OF_FIRST_VOXEL
    )
    assert grid.GetOrigin() == pytest.approx(first)
    # MNI coordinate (0, 0, 0), near the brain's centre, falls inside the grid.
    index = grid.TransformPhysicalPointToIndex((0.0, 0.0, 0.0))
    assert all(0 < i < n for i, n in zip(index, grid.GetSize(), strict=True))


def test_coarse_grid_covers_the_same_box():
    fine, coarse = make_phantoms.output_grid(1.0), make_phantoms.output_grid(SCALE)

    def outer_corner(image):
        return image.TransformContinuousIndexToPhysicalPoint((-0.5, -0.5, -0.5))

    assert outer_corner(coarse) == pytest.approx(outer_corner(fine))


@pytest.mark.parametrize("case_index", range(CASES))
def test_lesion_is_inside_the_brain_and_brighter_than_normal_tissue(
    dataset, case_index
):
    flair_path, seg_path = make_phantoms.case_paths(dataset, case_index)
    _, flair = read(flair_path)
    _, seg = read(seg_path)
    lesion = seg == 1
    brain = flair > 0
    assert set(np.unique(seg)) <= {0, 1}
    assert lesion.any()
    assert not (lesion & ~brain).any()
    assert flair.min() >= 0.0 and flair.max() <= 1.0
    # The method takes the brain as "not the dark region touching the border":
    # everything outside the brain must belong to that region, and no lesion voxel.
    dark_labels, _ = ndimage.label(flair < 0.1, structure=np.ones((3, 3, 3)))
    border = np.ones(flair.shape, dtype=bool)
    border[1:-1, 1:-1, 1:-1] = False
    touching = np.setdiff1d(np.unique(dark_labels[border]), [0])
    background = np.isin(dark_labels, touching)
    assert background[~brain].all()
    assert not (background & lesion).any()
    normal = brain & ~lesion
    assert np.median(flair[lesion]) > 1.2 * np.percentile(flair[normal], 90)
    voxel_cm3 = SCALE**3 / 1000.0
    low, high = make_phantoms.WHOLE_TUMOUR_CM3_RANGE
    assert 0.7 * low < lesion.sum() * voxel_cm3 < 1.1 * high


def test_complete_dataset_is_reused_and_force_rebuilds(tmp_path):
    out = tmp_path / "reuse"
    messages = []
    make_phantoms.build_dataset(out, cases=1, seed=3, scale=SCALE, log=messages.append)
    flair_path = make_phantoms.case_paths(out, 0)[0]
    first_written = flair_path.stat().st_mtime_ns

    messages.clear()
    make_phantoms.build_dataset(out, cases=1, seed=3, scale=SCALE, log=messages.append)
    assert "nothing to do" in messages[0]
    assert flair_path.stat().st_mtime_ns == first_written

    make_phantoms.build_dataset(
        out, cases=1, seed=3, scale=SCALE, force=True, log=messages.append
    )
    assert flair_path.stat().st_mtime_ns != first_written


def test_damaged_dataset_is_rebuilt(tmp_path):
    out = tmp_path / "damaged"
    make_phantoms.build_dataset(out, cases=1, seed=3, scale=SCALE, log=print)
    seg_path = make_phantoms.case_paths(out, 0)[1]
    good = seg_path.read_bytes()
    seg_path.write_bytes(good[: len(good) // 2])
    messages = []
    make_phantoms.build_dataset(out, cases=1, seed=3, scale=SCALE, log=messages.append)
    assert "nothing to do" not in messages[0]
    assert seg_path.read_bytes() == good


def test_command_line(tmp_path):
    out = tmp_path / "cli"
    assert (
        make_phantoms.main(["--out", str(out), "--cases", "1", "--scale", str(SCALE)])
        == 0
    )
    assert all(p.is_file() for p in make_phantoms.case_paths(out, 0))
    assert (out / "manifest.json").is_file()
    with pytest.raises(SystemExit):
        make_phantoms.main(["--cases", "0"])


def test_separate_runs_of_the_script_write_the_same_bytes(dataset, tmp_path):
    out = tmp_path / "script"
    script = EXAMPLES / "make_phantoms.py"
    command = [sys.executable, str(script), "--out", str(out), "--cases", "1"]
    subprocess.run([*command, "--scale", str(SCALE)], check=True, capture_output=True)
    for first, second in zip(
        make_phantoms.case_paths(dataset, 0),
        make_phantoms.case_paths(out, 0),
        strict=True,
    ):
        assert first.read_bytes() == second.read_bytes()
