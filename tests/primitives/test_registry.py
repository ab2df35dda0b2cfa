"""Registry: qualified names split at the namespace, operator names keep dots."""

from voxlogica.primitives.registry import resolve


def test_operator_names_with_dots_resolve():
    primitive = resolve("vox1..<=")
    assert primitive.qualified_name == "vox1..<="
    assert (primitive.namespace, primitive.name) == ("vox1", ".<=")


def test_plain_names_resolve():
    assert resolve("default.+").name == "+"
    assert resolve("simpleitk.ReadImage").namespace == "simpleitk"
