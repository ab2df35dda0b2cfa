"""The ``vox1`` namespace: every VoxLogicA 1 built-in, with its semantics.

``import "vox1"`` in an ImgQL program makes these primitives visible under
the names VoxLogicA 1 gave them (``near``, ``.<=``, ``+.``...). The standard
library written on top of them is ``stdlib.imgql`` beside this file
(:data:`STDLIB_PATH`).

Conventions (details in ``docs/spatial-logic.md``):

* number images are float32, bool images uint8 0/1; inputs of other pixel
  types are converted (:mod:`voxlogica.primitives.vox1.values`);
* every output image copies the geometry of its first concrete image
  argument; images of different sizes are a ``ValueError``;
* ``tt``, ``ff``, ``border``, ``x``, ``y``, ``z``, ``constant`` and
  ``bconstant`` are geometry-free (:class:`GeometryFreeImage`) and take the
  geometry of the concrete image they are combined with.
"""

from __future__ import annotations

from pathlib import Path

from voxlogica.primitives.vox1._lifting import NAMESPACE
from voxlogica.primitives.vox1.arithmetic import (
    DIVISION_BY_ZERO,
    absolute,
    add,
    add_number,
    at_least,
    at_most,
    between,
    divide,
    divide_by_number,
    equal_to,
    mask,
    multiply,
    multiply_number,
    number_divided_by,
    number_minus,
    scalar_add,
    scalar_divide,
    scalar_equal,
    scalar_greater,
    scalar_greater_equal,
    scalar_less,
    scalar_less_equal,
    scalar_multiply,
    scalar_subtract,
    subtract,
    subtract_number,
)
from voxlogica.primitives.vox1.colour import (
    alpha,
    blue,
    green,
    intensity,
    red,
    rgb,
    rgba,
)
from voxlogica.primitives.vox1.logic import (
    and_,
    not_,
    or_,
    scalar_and,
    scalar_not,
    scalar_or,
)
from voxlogica.primitives.vox1.measures import average, maximum, minimum, volume
from voxlogica.primitives.vox1.sources import (
    bool_constant_image as bconstant,
)
from voxlogica.primitives.vox1.sources import (
    border_image as border,
)
from voxlogica.primitives.vox1.sources import (
    false_image as ff,
)
from voxlogica.primitives.vox1.sources import (
    number_constant_image as constant,
)
from voxlogica.primitives.vox1.sources import (
    true_image as tt,
)
from voxlogica.primitives.vox1.sources import (
    x_coordinate as x,
)
from voxlogica.primitives.vox1.sources import (
    y_coordinate as y,
)
from voxlogica.primitives.vox1.sources import (
    z_coordinate as z,
)
from voxlogica.primitives.vox1.spatial import (
    beyond,
    distance_transform,
    interior,
    label_connected_components,
    largest_component,
    near,
    through,
    within,
)
from voxlogica.primitives.vox1.statistics import cross_correlation, otsu, percentiles
from voxlogica.primitives.vox1.values import GeometryError, GeometryFreeImage

#: The ImgQL standard library of VoxLogicA 1 derived operators.
STDLIB_PATH = Path(__file__).with_name("stdlib.imgql")

__all__ = [
    "DIVISION_BY_ZERO",
    "NAMESPACE",
    "STDLIB_PATH",
    "GeometryError",
    "GeometryFreeImage",
    "absolute",
    "add",
    "add_number",
    "alpha",
    "and_",
    "at_least",
    "at_most",
    "average",
    "bconstant",
    "between",
    "beyond",
    "blue",
    "border",
    "constant",
    "cross_correlation",
    "distance_transform",
    "divide",
    "divide_by_number",
    "equal_to",
    "ff",
    "green",
    "intensity",
    "interior",
    "label_connected_components",
    "largest_component",
    "mask",
    "maximum",
    "minimum",
    "multiply",
    "multiply_number",
    "near",
    "not_",
    "number_divided_by",
    "number_minus",
    "or_",
    "otsu",
    "percentiles",
    "red",
    "rgb",
    "rgba",
    "scalar_add",
    "scalar_and",
    "scalar_divide",
    "scalar_equal",
    "scalar_greater",
    "scalar_greater_equal",
    "scalar_less",
    "scalar_less_equal",
    "scalar_multiply",
    "scalar_not",
    "scalar_or",
    "scalar_subtract",
    "subtract",
    "subtract_number",
    "through",
    "tt",
    "volume",
    "within",
    "x",
    "y",
    "z",
]
