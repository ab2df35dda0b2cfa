"""Tests for the SimpleITK manifest: resolving names without importing SimpleITK."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import SimpleITK as sitk

from voxlogica.primitives import registry
from voxlogica.primitives.simpleitk import (
    PRIMITIVE_VERSION,
    SIMPLEITK_VERSION,
    WRAPPER_VERSION,
    SimpleITKFunction,
    SimpleITKNamespace,
    manifest,
    parsing,
)
from voxlogica.primitives.simpleitk.properties import property_names
from voxlogica.reduce.reducer import Reducer

PROGRAM = 'import "simpleitk"\nprint "x" ReadImage("nonexistent.nii.gz")'

# Reduces PROGRAM and reports which heavy modules got imported, and the plan.
REDUCE_SCRIPT = textwrap.dedent(
    f"""
    import json, sys
    from voxlogica.reduce.reducer import Reducer
    plan = Reducer().reduce_text({PROGRAM!r})
    if "--preload" in sys.argv:
        from voxlogica.primitives.registry import load_namespace
        load_namespace("simpleitk").preload()
    print(json.dumps({{
        "imported": sorted(m for m in ("SimpleITK", "numpy") if m in sys.modules),
        "goals": [goal.node_id for goal in plan.goals],
        "nodes": sorted(plan.nodes),
    }}))
    """
)


def manifest_file(directory):
    return manifest.manifest_path(directory, SIMPLEITK_VERSION, WRAPPER_VERSION)


def reduce_in_subprocess(cache_dir, cwd, *options):
    environment = {**os.environ, manifest.CACHE_DIR_ENV_VAR: str(cache_dir)}
    completed = subprocess.run(
        [sys.executable, "-c", REDUCE_SCRIPT, *options],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.fixture(autouse=True, scope="module")
def private_cache_dir(tmp_path_factory):
    """Keep the manifest the shared namespace builds out of the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        directory = tmp_path_factory.mktemp("shared-cache")
        patch.setenv(manifest.CACHE_DIR_ENV_VAR, str(directory))
        yield directory


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory):
    """A cache directory holding a freshly built manifest."""
    directory = tmp_path_factory.mktemp("cache")
    SimpleITKNamespace(directory).names()
    assert manifest_file(directory).is_file()
    return directory


def no_rebuild(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the manifest was rebuilt")

    monkeypatch.setattr(manifest, "build", refuse)


# --- the file -----------------------------------------------------------------


def test_version_comes_from_package_metadata():
    assert SIMPLEITK_VERSION == manifest.installed_version()
    assert SIMPLEITK_VERSION == sitk.Version_VersionString()
    assert PRIMITIVE_VERSION == f"{SIMPLEITK_VERSION}+wrapper.{WRAPPER_VERSION}"


def test_version_is_read_without_importlib_metadata():
    from importlib import metadata

    assert manifest._version_beside_package() == metadata.version("SimpleITK")


def write_dist_info(directory, name, version):
    info = directory / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nVersion: x\n"
    )


def test_dist_info_lookup(tmp_path):
    assert manifest.version_in(tmp_path / "missing") is None
    assert manifest.version_in(tmp_path) is None
    write_dist_info(tmp_path, "SimpleITK-SimpleElastix", "2.0")
    write_dist_info(tmp_path, "simpleitk_extra", "3.0")
    assert manifest.version_in(tmp_path) is None
    write_dist_info(tmp_path, "SimpleITK", "2.4.1")
    assert manifest.version_in(tmp_path) == "2.4.1"
    # Two installs of it at once: importlib.metadata decides.
    write_dist_info(tmp_path, "simpleitk", "2.5.0")
    assert manifest.version_in(tmp_path) is None


def test_manifest_is_named_by_versions_and_holds_everything(built_cache):
    path = manifest_file(built_cache)
    assert path.name == f"simpleitk-{SIMPLEITK_VERSION}-{WRAPPER_VERSION}.json"
    data = json.loads(path.read_text())
    assert manifest.is_valid(data, SIMPLEITK_VERSION, WRAPPER_VERSION)
    assert data["constants"]["sitkFloat32"] == sitk.sitkFloat32
    assert data["functions"]["ReadImage"]["file_arguments"] == [0]
    assert data["functions"]["WriteImage"]["is_volatile"]
    # No stray temporary files are left next to it.
    assert [p.name for p in built_cache.iterdir()] == [path.name]


def test_env_var_chooses_the_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(manifest.CACHE_DIR_ENV_VAR, str(tmp_path / "elsewhere"))
    assert manifest.cache_dir() == tmp_path / "elsewhere"
    assert SimpleITKNamespace().lookup("Abs") is not None
    assert manifest_file(tmp_path / "elsewhere").is_file()


def test_an_existing_manifest_is_read_not_rebuilt(built_cache, monkeypatch):
    no_rebuild(monkeypatch)
    namespace = SimpleITKNamespace(built_cache)
    assert namespace.uses_manifest
    assert namespace.lookup("BinaryThreshold").max_arity == 5


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'{"format": 1}',
        "truncated",
        "wrong format",
        "other builder",
        "bad entry",
        "bool arity",
        "no functions",
    ],
)
def test_corrupt_manifest_is_rebuilt(built_cache, tmp_path, content):
    good = manifest_file(built_cache).read_text()
    data = json.loads(good)
    if content == "truncated":
        content = good[: len(good) // 2].encode()
    elif isinstance(content, str):
        if content == "wrong format":
            data["format"] = manifest.FORMAT + 1
        elif content == "other builder":
            data["builder"] = "0" * 16
        elif content == "bad entry":
            del data["functions"]["Add"]["signature"]
        elif content == "bool arity":
            data["functions"]["Add"]["min_arity"] = True
        elif content == "no functions":
            data["functions"] = {}
        content = json.dumps(data).encode()
    path = manifest_file(tmp_path)
    path.write_bytes(content)
    namespace = SimpleITKNamespace(tmp_path)
    assert namespace.lookup("Add").min_arity == 2
    assert json.loads(path.read_text()) == json.loads(good)


def test_unwritable_cache_still_resolves(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    namespace = SimpleITKNamespace(blocker / "cache")
    assert namespace.lookup("Multiply").min_arity == 2
    assert namespace.lookup("NoSuchFilter") is None


@pytest.mark.parametrize(
    "name",
    ["NoSuchFilter", "ImageFileReader", "Image", "sitkNope", "", "__doc__",
     "binaryThreshold", "SITK_MAX_DIMENSION", "Add.x", "format", "functions"],
)  # fmt: skip
@pytest.mark.parametrize("use_manifest", [True, False])
def test_unknown_names_give_none(built_cache, name, use_manifest):
    namespace = SimpleITKNamespace(built_cache, use_manifest=use_manifest)
    assert namespace.lookup(name) is None


# --- same primitives either way -----------------------------------------------


def test_manifest_primitives_equal_ones_built_from_simpleitk(built_cache, monkeypatch):
    no_rebuild(monkeypatch)
    from_file = SimpleITKNamespace(built_cache)
    direct = SimpleITKNamespace(use_manifest=False)
    names = direct.names()
    assert from_file.names() == names
    for name in names:
        loaded = from_file.lookup(name)
        built = direct.lookup(name)
        # Primitive equality covers every field but the callable.
        assert loaded == built, name
        assert loaded.version == PRIMITIVE_VERSION
        assert type(loaded.function) is type(built.function)
        if isinstance(loaded.function, SimpleITKFunction):
            # The lazily parsed overloads agree with the stored signature.
            assert loaded.function.signature_text() == loaded.signature, name
        elif name in property_names():
            assert loaded.function is built.function
        else:
            assert loaded.function() == built.function() == getattr(sitk, name)


def test_node_ids_do_not_depend_on_the_manifest(built_cache, monkeypatch):
    program = textwrap.dedent(
        """
        import "simpleitk"
        let img = ReadImage("nonexistent.nii.gz", sitkFloat32)
        print "range" MinimumMaximum(BinaryThreshold(img, 1, 2, 1, 0))
        print "dilated" BinaryDilate(img, 2)
        save "out.nii.gz" Add(img, 2)
        """
    )
    plans = []
    for namespace in (
        SimpleITKNamespace(built_cache),
        SimpleITKNamespace(use_manifest=False),
    ):
        monkeypatch.setitem(registry._loaded, "simpleitk", namespace)
        plans.append(Reducer().reduce_text(program))
    with_manifest, without = plans
    assert with_manifest.goals == without.goals
    assert list(with_manifest.nodes) == list(without.nodes)


def test_reducing_does_not_import_simpleitk_once_the_manifest_exists(tmp_path):
    cache = tmp_path / "cache"
    first = reduce_in_subprocess(cache, tmp_path)
    # Without a manifest the first run had to import SimpleITK to build one.
    assert "SimpleITK" in first["imported"]
    assert manifest_file(cache).is_file()
    second = reduce_in_subprocess(cache, tmp_path)
    assert second["imported"] == []
    assert second["goals"] == first["goals"]
    assert second["nodes"] == first["nodes"]
    preloaded = reduce_in_subprocess(cache, tmp_path, "--preload")
    assert preloaded["imported"] == ["SimpleITK", "numpy"]


# --- calling what the manifest describes --------------------------------------


def test_functions_from_the_manifest_parse_their_docstring_at_first_call(
    built_cache, monkeypatch
):
    no_rebuild(monkeypatch)
    parsed = []
    original = parsing.overloads_of

    def counting(name, function):
        parsed.append(name)
        return original(name, function)

    monkeypatch.setattr(parsing, "overloads_of", counting)
    namespace = SimpleITKNamespace(built_cache)
    dilate = namespace.lookup("BinaryDilate")
    namespace.lookup("BinaryThreshold")
    assert parsed == []
    mask = sitk.Image([4, 4, 4], sitk.sitkUInt8)
    mask[1, 1, 1] = 1
    # A single radius is repeated per axis: coercion uses the parsed types.
    dilated = dilate.function(mask, 1)
    expected = sitk.BinaryDilate(mask, [1, 1, 1])
    np.testing.assert_array_equal(
        sitk.GetArrayFromImage(dilated), sitk.GetArrayFromImage(expected)
    )
    dilate.function(mask, 1)
    assert parsed == ["BinaryDilate"]


def test_coercion_errors_from_manifest_functions(built_cache):
    namespace = SimpleITKNamespace(built_cache)
    image = sitk.Image([4, 4, 4], sitk.sitkUInt8)
    threshold = namespace.lookup("BinaryThreshold").function
    with pytest.raises(ValueError, match="'insideValue'.*1.5"):
        threshold(image, 0, 1, 1.5, 0)
    with pytest.raises(TypeError, match="does not take 7 arguments"):
        threshold(image, 0, 1, 1, 0, 0, 0)


def test_manifest_functions_pickle_by_name(built_cache):
    function = SimpleITKNamespace(built_cache).lookup("Multiply").function
    restored = pickle.loads(pickle.dumps(function))
    image = sitk.Image([3, 3], sitk.sitkFloat32) + 2
    assert sitk.GetArrayFromImage(restored(image, 3)).tolist() == [[6.0] * 3] * 3
