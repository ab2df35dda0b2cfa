"""Programs using the VoxLogicA 1 standard library, end to end."""

import numpy as np
import SimpleITK as sitk
from tests.conftest import CHRIS_T1

from voxlogica.store import NullStore


def test_stdlib_background_touching_border(run_program):
    report = run_program(
        'import "stdlib.imgql"\n'
        f'load img = "{CHRIS_T1}"\n'
        "let t1 = intensity(img)\n"
        "let background = touch(t1 <. 10, border)\n"
        'print "brain" volume(!background)\n',
        store=NullStore(),
    )
    # Reference: components of the dark region (26-connectivity) that touch
    # the border, computed with SimpleITK.
    image = sitk.GetArrayFromImage(sitk.ReadImage(str(CHRIS_T1))).astype(np.float32)
    dark = sitk.GetImageFromArray((image < 10).astype(np.uint8))
    labels = sitk.GetArrayFromImage(sitk.ConnectedComponent(dark, True))
    border = np.zeros_like(labels, dtype=bool)
    border[0, :, :] = border[-1, :, :] = True
    border[:, 0, :] = border[:, -1, :] = True
    border[:, :, 0] = border[:, :, -1] = True
    # touch(a, b) = through(near(b), a): components of a containing a voxel
    # of near(border), which is the two outermost layers.
    near_border = np.zeros_like(border)
    near_border[:2, :, :] = near_border[-2:, :, :] = True
    near_border[:, :2, :] = near_border[:, -2:, :] = True
    near_border[:, :, :2] = near_border[:, :, -2:] = True
    touching = np.unique(labels[near_border & (labels > 0)])
    background = np.isin(labels, touching[touching > 0])
    assert report.printed[0].value == float((~background).sum())
