"""End-to-end runs: values against SimpleITK, sharing, streaming, the store."""

import shutil

import numpy as np
import pytest
import SimpleITK as sitk
from tests.conftest import CHRIS_T1

from voxlogica.store import NullStore, ResultStore

PROGRAM_A = """
import "simpleitk"
let img = ReadImage("{image}")
let data = for i in range(1,{stop}) do Multiply(BinaryThreshold(img,100,101,1,0), img)
let data2 = for j in data do MinimumMaximum(j)
print "data2" data2
"""

DEDUP = """
import "simpleitk"
let img = ReadImage("{image}")
let data = for i in range(1,5) do BinaryThreshold(img,100,101,1,0)
print "data" data
"""


def expected_min_max(image_path):
    image = sitk.ReadImage(str(image_path))
    product = sitk.Multiply(sitk.BinaryThreshold(image, 100, 101, 1, 0), image)
    return list(sitk.MinimumMaximum(product))


def test_program_a_matches_simpleitk(run_program):
    report = run_program(PROGRAM_A.format(image=CHRIS_T1, stop=500))
    (printed,) = report.printed
    assert printed.name == "data2"
    assert len(printed.value) == 499
    expected = expected_min_max(CHRIS_T1)
    assert all(list(pair) == expected for pair in printed.value)
    # The body does not depend on i: read, threshold, multiply, min-max once.
    assert report.computed == 4


def test_dedup_program_computes_threshold_once(run_program):
    report = run_program(DEDUP.format(image=CHRIS_T1))
    (printed,) = report.printed
    assert printed.text.count("image(") == 4
    assert report.computed == 2  # ReadImage and BinaryThreshold


def test_warm_rerun_executes_no_primitive(run_program, tmp_path):
    store = ResultStore(tmp_path / "store")
    source = PROGRAM_A.format(image=CHRIS_T1, stop=20)
    cold = run_program(source, store=store)
    warm = run_program(source, store=store)
    assert cold.computed > 0
    assert warm.computed == 0
    assert warm.printed[0].value == cold.printed[0].value


def test_changed_input_file_invalidates(run_program, tmp_path):
    image_path = tmp_path / "input.nii.gz"
    shutil.copy(CHRIS_T1, image_path)
    store = ResultStore(tmp_path / "store")
    source = PROGRAM_A.format(image=image_path, stop=3)
    first = run_program(source, store=store)
    image = sitk.ReadImage(str(image_path))
    sitk.WriteImage(sitk.Multiply(image, 2), str(image_path))
    second = run_program(source, store=store)
    assert second.computed > 0
    assert second.printed[0].value[0] == expected_min_max(image_path)
    assert second.printed[0].value != first.printed[0].value


def test_each_dependent_element_runs_once(run_program, counting_namespace):
    report = run_program(
        'import "counting"\nprint "t" for i in range(1, 100) do tick(i)',
        store=NullStore(),
    )
    assert sorted(counting_namespace) == list(range(1, 100))
    assert report.printed[0].value == [2 * i for i in range(1, 100)]


def test_equal_elements_share_one_computation(run_program, counting_namespace):
    run_program(
        'import "counting"\nprint "t" for i in range(1, 50) do tick(7)',
        store=NullStore(),
    )
    assert counting_namespace == [7]


def test_nested_loops_and_let_in(run_program, counting_namespace):
    report = run_program(
        'import "counting"\n'
        'print "n" for i in range(0, 3) do for j in range(0, 2) do '
        "let k = i * 10 + j in tick(k)",
        store=NullStore(),
    )
    assert report.printed[0].value == [[0, 2], [20, 22], [40, 42]]
    assert sorted(counting_namespace) == [0, 1, 10, 11, 20, 21]


def test_only_goals_run(run_program, counting_namespace):
    run_program(
        'import "counting"\nlet unused = tick(1)\nprint "x" tick(2)', store=NullStore()
    )
    assert counting_namespace == [2]


def test_save_is_rewritten_on_warm_rerun(run_program, tmp_path):
    output = tmp_path / "out" / "mask.nii.gz"
    source = (
        'import "simpleitk"\n'
        f'let img = ReadImage("{CHRIS_T1}")\n'
        f'save "{output}" BinaryThreshold(img, 100, 255, 1, 0)\n'
    )
    store = ResultStore(tmp_path / "store")
    run_program(source, store=store)
    assert output.exists()
    output.unlink()
    warm = run_program(source, store=store)
    assert warm.computed == 0
    saved = sitk.ReadImage(str(output))
    direct = sitk.BinaryThreshold(sitk.ReadImage(str(CHRIS_T1)), 100, 255, 1, 0)
    assert np.array_equal(sitk.GetArrayFromImage(saved), sitk.GetArrayFromImage(direct))
    assert saved.GetSpacing() == pytest.approx(direct.GetSpacing())


def test_runtime_error_is_located(run_program, tmp_path):
    from voxlogica.diagnostics import ExecutionError

    with pytest.raises(ExecutionError) as caught:
        run_program('import "simpleitk"\nprint "x" ReadImage("no/such.nii.gz")')
    assert "ReadImage" in caught.value.message
    assert (caught.value.span.line, caught.value.span.column) == (2, 11)


def test_distributed_cluster_gives_the_same_results(run_program, tmp_path):
    from distributed import Client, LocalCluster

    source = PROGRAM_A.format(image=CHRIS_T1, stop=6) + (
        'print "sum" for i in range(0, 4) do i * i + 1\n'
    )
    embedded = run_program(source, store=NullStore())
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = run_program(
            source, store=ResultStore(tmp_path / "shared"), client=client
        )
    assert [p.value for p in remote.printed] == [p.value for p in embedded.printed]


def test_fold_over_images_longer_than_the_window(run_program):
    report = run_program(
        'import "simpleitk"\n'
        f'let img = ReadImage("{CHRIS_T1}")\n'
        "let masks = for t in range(1, 12) do BinaryThreshold(img, t * 10, 255, 1, 0)\n"
        'print "sum" MinimumMaximum(fold Add masks)\n',
        store=NullStore(),
    )
    assert report.printed[0].value == (0.0, 11.0)


def test_image_properties(run_program):
    report = run_program(
        'import "simpleitk"\n'
        f'let img = ReadImage("{CHRIS_T1}")\n'
        'print "size" GetSize(img)\n'
        'print "voxel" GetVoxelVolume(img)\n',
        store=NullStore(),
    )
    image = sitk.ReadImage(str(CHRIS_T1))
    assert report.printed[0].value == image.GetSize()
    spacing = image.GetSpacing()
    assert report.printed[1].value == pytest.approx(
        spacing[0] * spacing[1] * spacing[2]
    )
