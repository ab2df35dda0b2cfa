"""The ImgQL standard library: its text, and its meaning checked in Python.

The Python functions below transcribe the definitions of ``stdlib.imgql``
one for one on top of the vox1 primitives; the tests check them against
independent numpy references.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vox1_helpers import bool_image, breadth_first_through, number_image, pixels

import voxlogica.primitives.vox1 as vox1

STDLIB_NAMES = [
    "&", "|", "!", "\\", "xor", "N", "I", "~>", "touch", "grow", "mayReach",
    "surrounded", ".<", ".>", "<.", "<=.", ">.", ">=.", "=.", ".*", ".+",
    "pdt", "distgeq", "distleq", "dilate", "erode", "imopen", "imclose",
    "smoothen", "similar", "ifB", "ifN", "divZ", "emptyB", "nemptyB", "eqB",
    "leqB", "collect", "DC", "EC", "PO", "EQ", "TPP", "NTPP", "TPPi", "NTPPi",
    "overlayB", "overlayColor",
]  # fmt: skip


def defined_names() -> set[str]:
    text = vox1.STDLIB_PATH.read_text()
    return set(re.findall(r"^let\s+(\S+?)\s*\(", text, flags=re.MULTILINE))


#: Operators VoxLogicA 1 defines in its stdlib that are vox1 built-ins here,
#: with the same meaning (tests/primitives/vox1/test_distances.py).
BUILT_IN_HERE = {"distgeq", "distleq"}


def test_stdlib_defines_every_documented_operator():
    missing = set(STDLIB_NAMES) - BUILT_IN_HERE - defined_names()
    assert not missing
    assert BUILT_IN_HERE <= set(vox1.NAMESPACE.names())


def test_stdlib_parses():
    parser = pytest.importorskip("voxlogica.syntax.parser")
    program = parser.parse(vox1.STDLIB_PATH.read_text(), str(vox1.STDLIB_PATH))
    assert len(program.commands) > len(STDLIB_NAMES)


# Transcriptions of stdlib.imgql.
def difference(a, b):
    return vox1.and_(a, vox1.not_(b))


def touch(a, b):
    return vox1.through(vox1.near(b), a)


def may_reach(a, b):
    return vox1.near(vox1.or_(vox1.through(vox1.near(a), b), a))


def surrounded(a, b):
    return difference(a, may_reach(vox1.not_(vox1.or_(a, b)), vox1.not_(b)))


def pdt(a):
    distances = vox1.distance_transform(a)
    strictly_positive = vox1.and_(
        vox1.at_most(0, distances), vox1.not_(vox1.equal_to(0, distances))
    )
    return vox1.mask(distances, strictly_positive)


def distleq(d, a):
    return vox1.at_least(d, pdt(a))


def distgeq(d, a):
    return vox1.at_most(d, pdt(a))


def dilate(a, r):
    return distleq(r, a)


def erode(a, r):
    return vox1.not_(distleq(r, vox1.not_(a)))


def empty(a):
    return vox1.volume(a) == 0


def leq(a, b):
    return empty(difference(a, b))


def rcc8(a, b):
    connected = not empty(vox1.and_(vox1.near(a), b))
    overlap = not empty(vox1.and_(a, b))
    equal = leq(a, b) and leq(b, a)
    return {
        "DC": not connected,
        "EC": connected and not overlap,
        "PO": overlap and not leq(a, b) and not leq(b, a),
        "EQ": equal,
        "TPP": leq(a, b) and not equal and not leq(vox1.near(a), b),
        "NTPP": leq(vox1.near(a), b) and not equal,
        "TPPi": leq(b, a) and not equal and not leq(vox1.near(b), a),
        "NTPPi": leq(vox1.near(b), a) and not equal,
    }


masks_2d = hnp.arrays(bool, st.tuples(st.integers(1, 6), st.integers(1, 6)))


@settings(max_examples=50, deadline=None)
@given(masks_2d, st.data())
def test_touch_is_components_of_a_next_to_b(a, data):
    b = data.draw(hnp.arrays(bool, a.shape))
    near_b = pixels(vox1.near(bool_image(b))).astype(bool)
    expected = breadth_first_through(near_b, a)
    assert (pixels(touch(bool_image(a), bool_image(b))).astype(bool) == expected).all()


@settings(max_examples=50, deadline=None)
@given(masks_2d, st.data())
def test_surrounded_means_no_escape_from_a_except_through_b(a, data):
    b = data.draw(hnp.arrays(bool, a.shape)) & ~a
    result = pixels(surrounded(bool_image(a), bool_image(b))).astype(bool)
    # A voxel of a is surrounded when, walking inside a, one cannot step onto
    # a voxel that is neither in a nor in b.
    escape = ~(a | b)
    reach_escape = breadth_first_through(
        pixels(vox1.near(bool_image(escape))).astype(bool), a
    )
    assert (result == (a & ~reach_escape)).all()


@settings(max_examples=40, deadline=None)
@given(masks_2d, st.floats(0.5, 4.0), st.sampled_from([(1.0, 1.0), (0.5, 2.0)]))
def test_dilate_and_erode_match_brute_force_distances(a, radius, spacing):
    image = bool_image(a, geometry=False)
    image.SetSpacing(spacing)
    points = np.argwhere(np.ones_like(a)) * np.array(spacing[::-1])
    inside = points[a.ravel()]
    outside = points[~a.ravel()]

    def within(targets):
        if len(targets) == 0:
            return np.zeros(a.shape, dtype=bool)
        gaps = np.linalg.norm(points[:, None, :] - targets[None, :, :], axis=2)
        return (gaps.min(axis=1) <= radius + 1e-6).reshape(a.shape)

    assert (pixels(dilate(image, radius)).astype(bool) == within(inside)).all()
    assert (pixels(erode(image, radius)).astype(bool) == ~within(outside)).all()


@settings(max_examples=60, deadline=None)
@given(masks_2d, st.data())
def test_rcc8_relations_are_exhaustive_and_exclusive(a, data):
    b = data.draw(hnp.arrays(bool, a.shape))
    if not a.any() or not b.any():
        return
    relations = rcc8(bool_image(a), bool_image(b))
    assert sum(relations.values()) == 1, relations


def test_rcc8_hand_cases():
    a = np.zeros((5, 7), dtype=bool)
    a[1:4, 1:3] = True
    apart = np.zeros_like(a)
    apart[1:4, 5:7] = True
    beside = np.zeros_like(a)
    beside[1:4, 3:4] = True
    around = np.ones_like(a)
    assert rcc8(bool_image(a), bool_image(apart))["DC"]
    assert rcc8(bool_image(a), bool_image(beside))["EC"]
    assert rcc8(bool_image(a), bool_image(a | beside))["TPP"]
    assert rcc8(bool_image(a), bool_image(around))["NTPP"]
    assert rcc8(bool_image(around), bool_image(a))["NTPPi"]


def test_strict_comparisons_from_the_stdlib_definitions():
    image = number_image([[1, 2, 3]])
    # let .<(n, i) = (n .<= i) & !(n .= i)
    less = vox1.and_(vox1.at_most(2, image), vox1.not_(vox1.equal_to(2, image)))
    assert pixels(less).tolist() == [[0, 0, 1]]
    # let <.(i, n) = n .> i, with .> (n, i) = (n .>= i) & !(n .= i)
    below = vox1.and_(vox1.at_least(2, image), vox1.not_(vox1.equal_to(2, image)))
    assert pixels(below).tolist() == [[1, 0, 0]]


def test_div_z_replaces_division_by_zero():
    n = number_image([[6, 1, 4]])
    d = number_image([[3, 0, 2]])
    z = vox1.constant(-1)
    zero = vox1.equal_to(0, d)
    result = vox1.add(vox1.mask(vox1.divide(n, d), vox1.not_(zero)), vox1.mask(z, zero))
    assert pixels(result).tolist() == [[2, -1, 2]]


def test_stdlib_runs_end_to_end(tmp_path, capsys):
    cli = pytest.importorskip("voxlogica.cli.main")
    image = number_image(np.pad(np.full((3, 3), 100.0), 2), geometry=False)
    import SimpleITK as sitk

    sitk.WriteImage(image, str(tmp_path / "img.nii.gz"))
    program = tmp_path / "program.imgql"
    program.write_text(
        'import "vox1"\nimport "stdlib.imgql"\n'
        f'load img = "{tmp_path / "img.nii.gz"}"\n'
        'print "v" volume(dilate(img >. 50, 1) \\ (img >. 50))\n'
        'print "dc" DC(img >. 50, border)\n'
    )
    try:
        status = cli.main(["run", str(program)])
    except SystemExit as stop:
        status = stop.code
    output = capsys.readouterr()
    assert status in (0, None), output.err
    # Only the values are checked: how labels are printed is the CLI's affair.
    lines = output.out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(("=12", "=12.0"))
    assert lines[1].endswith("=true")
