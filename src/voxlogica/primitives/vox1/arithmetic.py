"""Thresholds, arithmetic, ``abs``, ``mask`` and the scalar operators.

Operator names follow VoxLogicA 1: a dot marks the side that is a number.
Every operator reads literally, left to right: ``n .<= img`` is true where
``n <= img(v)``, that is where the image is at least ``n``; ``img -. n`` is
``img(v) - n``; ``n ./ img`` is ``n / img(v)``. Because the reading is
literal the image-level operators also accept the operands the other way
round, and two plain numbers (the result is then a number or a boolean).

A number compared with or combined with an image is first rounded to
float32, the image's element type, as ITK's image-constant filters do; so
``0.1 .= img`` is true where the pixel is ``float32(0.1)``.

Division
    Every image division (``/``, ``/.``, ``./``) gives the largest float32,
    3.4028235e38, where the divisor is exactly 0 (0/0 included): the
    convention of ITK's DivideImageFilter, which VoxLogicA 1 used. Division
    of two plain numbers (``./.``, or ``/`` on numbers) follows IEEE double
    arithmetic as VoxLogicA 1 did: ``1 ./. 0`` is ``inf``, ``0 ./. 0`` is
    ``nan``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import SimpleITK as sitk

from voxlogica.primitives.vox1._lifting import (
    NAMESPACE,
    image_primitive,
    lifted_signature,
    pointwise,
    require_number,
)

#: What an image division by zero gives (ITK's DivideImageFilter convention).
DIVISION_BY_ZERO = float(np.finfo(np.float32).max)


def _divide(numerator: Any, denominator: Any) -> Any:
    if not isinstance(numerator, np.ndarray) and not isinstance(
        denominator, np.ndarray
    ):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.float64(numerator) / np.float64(denominator)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        quotient = np.divide(numerator, denominator, dtype=np.float32)
    return np.where(
        np.equal(denominator, 0), np.float32(DIVISION_BY_ZERO), quotient
    ).astype(np.float32)


def _register_threshold(name: str, compute: Any, meaning: str) -> Any:
    @image_primitive(
        name,
        arity=2,
        description=meaning,
        signature=lifted_signature(
            name, ("number", "number"), "bool", (False, True), form="infix"
        ),
    )
    def threshold(number: Any, image: Any) -> Any:
        return pointwise(name, (number, image), ("number", "number"), compute, "bool")

    return threshold


def _threshold(name: str, compute: Any, meaning: str, example: str) -> Any:
    primitive = _register_threshold(name, compute, meaning)
    primitive.__doc__ = f"""{meaning}.

    Parameters
    ----------
    number : float
        The threshold, on the left as in VoxLogicA 1 (rounded to float32).
    image : SimpleITK.Image
        Number image (any scalar pixel type, read as float32).

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``image`` kept.

    Raises
    ------
    TypeError
        If ``number`` is not a number or ``image`` has several components.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> import voxlogica.primitives.vox1 as vox1
    >>> i = sitk.GetImageFromArray(np.array([[1, 2, 3]], dtype=np.float32))
{example}
    """
    return primitive


equal_to = _threshold(
    ".=",
    np.equal,
    "n .= img is true at the voxels of img equal to n",
    "    >>> sitk.GetArrayFromImage(vox1.equal_to(2, i)).tolist()\n    [[0, 1, 0]]",
)
at_most = _threshold(
    ".<=",
    np.less_equal,
    "n .<= img is true at the voxels of img greater than or equal to n",
    "    >>> sitk.GetArrayFromImage(vox1.at_most(2, i)).tolist()\n    [[0, 1, 1]]",
)
at_least = _threshold(
    ".>=",
    np.greater_equal,
    "n .>= img is true at the voxels of img less than or equal to n",
    "    >>> sitk.GetArrayFromImage(vox1.at_least(2, i)).tolist()\n    [[1, 1, 0]]",
)


@image_primitive(
    "between",
    arity=3,
    description="between(n1, n2, img) is true where n1 <= img <= n2",
    signature=lifted_signature(
        "between", ("number", "number", "number"), "bool", (False, False, True)
    ),
)
def between(low: Any, high: Any, image: Any) -> Any:
    """True where the image lies in the closed interval [low, high].

    Parameters
    ----------
    low, high : float
        Bounds, both included (rounded to float32).
    image : SimpleITK.Image
        Number image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``image`` kept; all false when low > high.

    Raises
    ------
    TypeError
        If a bound is not a number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[1, 2, 3, 4]], dtype=np.float32))
    >>> sitk.GetArrayFromImage(between(2, 3, i)).tolist()
    [[0, 1, 1, 0]]
    """
    return pointwise(
        "between",
        (low, high, image),
        ("number", "number", "number"),
        lambda lo, hi, values: (lo <= values) & (values <= hi),
        "bool",
    )


_ARITHMETIC = {
    "+": (np.add, "addition"),
    "-": (np.subtract, "subtraction"),
    "*": (np.multiply, "multiplication"),
    "/": (_divide, "division"),
}


def _arithmetic_doc(name: str, word: str, left: str, right: str, example: str) -> str:
    zero = (
        "\n        Image division by exactly 0 gives 3.4028235e38 (float32 max)."
        if name in ("/", "/.", "./")
        else ""
    )
    return f"""Voxel-wise {word}: ``{left} {name} {right}``.

    Parameters
    ----------
    left : SimpleITK.Image or float
        {left} (number image of any scalar pixel type, or a number).
    right : SimpleITK.Image or float
        {right}.

    Returns
    -------
    SimpleITK.Image or float
        float32 image keeping the geometry of the first image argument; a
        float when both arguments are numbers.{zero}

    Raises
    ------
    ValueError
        If two images differ in size.
    TypeError
        If an argument is neither an image nor a number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> import voxlogica.primitives.vox1 as vox1
    >>> i = sitk.GetImageFromArray(np.array([[1, 2, 4]], dtype=np.float32))
{example}
    """


def _register_arithmetic(
    name: str, compute: Any, word: str, left: str, right: str, example: str
) -> Any:
    # Importing vox1 hides the prelude's unary minus, so "-" also negates.
    negates = name == "-"

    @image_primitive(
        name,
        arity=(1, 2) if negates else 2,
        description=f"Voxel-wise {word} ({left} {name} {right})"
        + ("; with one argument, negation" if negates else ""),
        signature=lifted_signature(
            name,
            ("number", "number"),
            "number",
            (left == "image", right == "image"),
            form="infix",
        )
        + (
            " | "
            + lifted_signature(name, ("number",), "number", (True,), form="prefix")
            if negates
            else ""
        ),
        foldable=name in _ARITHMETIC,
    )
    def operate(first: Any, *rest: Any) -> Any:
        if negates and not rest:
            return pointwise(name, (first,), ("number",), np.negative, "number")
        if len(rest) != 1:
            raise TypeError(f"{name} takes 2 arguments, given {1 + len(rest)}")
        second = rest[0]
        return pointwise(name, (first, second), ("number", "number"), compute, "number")

    operate.__doc__ = _arithmetic_doc(name, word, left, right, example)
    return operate


def _example(function: str, arguments: str, result: str) -> str:
    return (
        f"    >>> sitk.GetArrayFromImage(vox1.{function}({arguments})).tolist()\n"
        f"    {result}"
    )


add = _register_arithmetic(
    "+",
    np.add,
    "addition",
    "image",
    "image",
    _example("add", "i, i", "[[2.0, 4.0, 8.0]]"),
)
subtract = _register_arithmetic(
    "-",
    np.subtract,
    "subtraction",
    "image",
    "image",
    _example("subtract", "i, i", "[[0.0, 0.0, 0.0]]"),
)
multiply = _register_arithmetic(
    "*",
    np.multiply,
    "multiplication",
    "image",
    "image",
    _example("multiply", "i, i", "[[1.0, 4.0, 16.0]]"),
)
divide = _register_arithmetic(
    "/",
    _divide,
    "division",
    "image",
    "image",
    _example("divide", "i, i", "[[1.0, 1.0, 1.0]]"),
)
add_number = _register_arithmetic(
    "+.",
    np.add,
    "addition of a number",
    "image",
    "number",
    _example("add_number", "i, 1", "[[2.0, 3.0, 5.0]]"),
)
subtract_number = _register_arithmetic(
    "-.",
    np.subtract,
    "subtraction of a number",
    "image",
    "number",
    _example("subtract_number", "i, 1", "[[0.0, 1.0, 3.0]]"),
)
multiply_number = _register_arithmetic(
    "*.",
    np.multiply,
    "multiplication by a number",
    "image",
    "number",
    _example("multiply_number", "i, 2", "[[2.0, 4.0, 8.0]]"),
)
divide_by_number = _register_arithmetic(
    "/.",
    _divide,
    "division by a number",
    "image",
    "number",
    _example("divide_by_number", "i, 2", "[[0.5, 1.0, 2.0]]"),
)
number_minus = _register_arithmetic(
    ".-",
    np.subtract,
    "subtraction from a number",
    "number",
    "image",
    _example("number_minus", "8, i", "[[7.0, 6.0, 4.0]]"),
)
number_divided_by = _register_arithmetic(
    "./",
    _divide,
    "division of a number",
    "number",
    "image",
    _example("number_divided_by", "8, i", "[[8.0, 4.0, 2.0]]"),
)


@image_primitive(
    "abs",
    arity=1,
    description="Voxel-wise absolute value",
    signature=lifted_signature("abs", ("number",), "number", (True,)),
    foldable=True,
)
def absolute(image: Any) -> Any:
    """Absolute value of every voxel.

    Parameters
    ----------
    image : SimpleITK.Image or float
        Number image (or a number).

    Returns
    -------
    SimpleITK.Image or float
        float32, geometry of ``image`` kept.

    Raises
    ------
    TypeError
        If ``image`` is neither an image nor a number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[-1.5, 2]], dtype=np.float32))
    >>> sitk.GetArrayFromImage(absolute(i)).tolist()
    [[1.5, 2.0]]
    """
    return pointwise("abs", (image,), ("number",), np.abs, "number")


@image_primitive(
    "mask",
    arity=2,
    description="mask(img, b) is img where b is true and 0 elsewhere",
    signature=(
        "mask(number image, bool image) -> number image"
        " | mask(number, bool image) -> number image"
        " | mask(number image, bool) -> number image"
    ),
)
def mask(image: Any, region: Any) -> Any:
    """Keep the image inside a region, 0 outside.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.
    region : SimpleITK.Image
        Bool image of the same size.

    Returns
    -------
    SimpleITK.Image
        float32, geometry of ``image`` kept.

    Raises
    ------
    ValueError
        If the images differ in size.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[5, 6, 7]], dtype=np.float32))
    >>> b = sitk.GetImageFromArray(np.array([[1, 0, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(mask(i, b)).tolist()
    [[5.0, 0.0, 7.0]]
    """
    if not isinstance(image, sitk.Image) and not isinstance(region, sitk.Image):
        raise TypeError("mask: expected a number image and a bool image")
    return pointwise(
        "mask",
        (image, region),
        ("number", "bool"),
        lambda values, inside: np.where(inside, values, np.float32(0)),
        "number",
    )


def _scalar_operator(name: str, compute: Any, meaning: str, example: str, result: str):
    def operate(left: float, right: float) -> Any:
        value = compute(require_number(name, left), require_number(name, right))
        return bool(value) if result == "bool" else float(value)

    operate.__doc__ = f"""{meaning} of two numbers, in double precision.

    Parameters
    ----------
    left, right : float
        Numbers.

    Returns
    -------
    {"bool" if result == "bool" else "float"}
        The result (no image involved).

    Raises
    ------
    TypeError
        If an argument is not a number.

    Examples
    --------
    {example}
    """
    NAMESPACE.primitive(
        name,
        arity=2,
        description=f"{meaning} of two numbers",
        signature=f"number {name} number -> {'bool' if result == 'bool' else 'number'}",
        foldable=True,
    )(operate)
    return operate


def _ieee_divide(left: float, right: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(left) / np.float64(right))


scalar_add = _scalar_operator(
    ".+.", lambda a, b: a + b, "Addition", ">>> scalar_add(1, 2)\n    3.0", "number"
)
scalar_subtract = _scalar_operator(
    ".-.",
    lambda a, b: a - b,
    "Subtraction",
    ">>> scalar_subtract(1, 2)\n    -1.0",
    "number",
)
scalar_multiply = _scalar_operator(
    ".*.",
    lambda a, b: a * b,
    "Multiplication",
    ">>> scalar_multiply(3, 2)\n    6.0",
    "number",
)
scalar_divide = _scalar_operator(
    "./.",
    _ieee_divide,
    "IEEE division (x ./. 0 is inf or nan)",
    ">>> scalar_divide(1, 0)\n    inf",
    "number",
)
scalar_equal = _scalar_operator(
    ".=.", lambda a, b: a == b, "Equality", ">>> scalar_equal(1, 1.0)\n    True", "bool"
)
scalar_less_equal = _scalar_operator(
    ".<=.",
    lambda a, b: a <= b,
    "Less than or equal",
    ">>> scalar_less_equal(1, 2)\n    True",
    "bool",
)
scalar_less = _scalar_operator(
    ".<.", lambda a, b: a < b, "Less than", ">>> scalar_less(2, 2)\n    False", "bool"
)
scalar_greater_equal = _scalar_operator(
    ".>=.",
    lambda a, b: a >= b,
    "Greater than or equal",
    ">>> scalar_greater_equal(2, 2)\n    True",
    "bool",
)
scalar_greater = _scalar_operator(
    ".>.",
    lambda a, b: a > b,
    "Greater than",
    ">>> scalar_greater(3, 2)\n    True",
    "bool",
)
