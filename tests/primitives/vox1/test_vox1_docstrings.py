"""Every vox1 primitive carries a numpydoc docstring whose examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import voxlogica.primitives.vox1 as vox1

MODULES = [
    "arithmetic", "colour", "logic", "measures", "sources", "spatial", "statistics",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings_run(name):
    module = importlib.import_module(f"voxlogica.primitives.vox1.{name}")
    failures, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


@pytest.mark.parametrize("name", vox1.NAMESPACE.names())
def test_every_primitive_has_numpydoc_sections(name):
    primitive = vox1.NAMESPACE.lookup(name)
    text = primitive.function.__doc__ or ""
    for section in ("Parameters", "Returns", "Raises", "Examples"):
        assert section in text, f"{name} lacks {section}"
    assert primitive.description
