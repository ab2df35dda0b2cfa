"""SimpleITK's error messages without their C++ noise.

Kept apart from the code that calls SimpleITK so that reporting a failure
(the engine does, when writing an output fails) does not need the library's
bindings loaded.
"""

from __future__ import annotations

import re

_SOURCE_LOCATION = re.compile(r"\S+\.(?:cxx|cpp|hxx|txx|hpp|h|c):\d+:\s*")
_OBJECT_ADDRESS = re.compile(r"\b\w+\(0x[0-9a-fA-F]+\):\s*")
_ERROR_TAGS = re.compile(r"\b(?:sitk::ERROR|ITK ERROR|ERROR):\s*")
_EXCEPTION_HEAD = re.compile(r"^Exception thrown in SimpleITK [\w:]+:\s*")


def simpleitk_error_message(name: str, error: BaseException) -> str:
    """SimpleITK's message for ``error`` without its C++ noise.

    Source file paths with line numbers, object addresses and ``ERROR:``
    tags are dropped, and the internal method SimpleITK names (such as
    ``ImageFileReader_Execute``) is replaced by the function the program
    called.

    Parameters
    ----------
    name
        The function the program called, e.g. ``"ReadImage"``.
    error
        The exception SimpleITK raised.

    Returns
    -------
    str
        For instance ``Exception thrown in SimpleITK ReadImage: The file
        "x.nii" does not exist.``
    """
    original = str(error)
    text = _SOURCE_LOCATION.sub("", original)
    text = _OBJECT_ADDRESS.sub("", text)
    text = _ERROR_TAGS.sub("", text)
    text = " ".join(text.split())
    body = _EXCEPTION_HEAD.sub("", text)
    if not body:
        return " ".join(original.split()) or f"SimpleITK {name} failed"
    return f"Exception thrown in SimpleITK {name}: {body}"
