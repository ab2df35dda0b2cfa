"""Shared fixtures: the real example image, and running programs in-process."""

from pathlib import Path

import pytest
from hypothesis import settings

from voxlogica.engine.cluster import embedded_client
from voxlogica.engine.runner import Engine
from voxlogica.primitives import registry
from voxlogica.reduce.reducer import Reducer
from voxlogica.store import ResultStore

# Property tests check behaviour, not speed: a loaded CI machine must not fail
# them on hypothesis's default per-example deadline.
settings.register_profile("voxlogica", deadline=None)
settings.load_profile("voxlogica")

REPOSITORY = Path(__file__).resolve().parent.parent
CHRIS_T1 = REPOSITORY / "examples" / "data" / "chris_t1.nii.gz"


@pytest.fixture(scope="session")
def dask_client():
    """One embedded cluster for the whole session: starting one costs ~0.3 s."""
    client = embedded_client(2)
    yield client
    cluster = client._embedded_cluster
    client.close()
    cluster.close()


@pytest.fixture
def run_program(tmp_path, dask_client):
    """Run ImgQL source text; returns the engine's report."""

    def run(source, store=None, client=None, folder=None):
        folder = Path(folder or tmp_path)
        program = folder / "program.imgql"
        program.write_text(source)
        plan = Reducer().reduce_file(program)
        store = store if store is not None else ResultStore(tmp_path / "store")
        engine = Engine(plan, store, client_factory=lambda: client or dask_client)
        report = engine.run()
        # Every main-plan value must have been released by its last consumer.
        assert engine._shared == {}, sorted(engine._shared)
        return report

    return run


@pytest.fixture
def counting_namespace(monkeypatch):
    """A namespace whose one primitive counts its calls.

    The embedded workers are threads of this process, so a list sees them all.
    """
    namespace = registry.Namespace("counting")
    calls = []

    @namespace.primitive("tick", arity=1, description="count a call")
    def tick(value):
        calls.append(value)
        return value * 2

    monkeypatch.setitem(registry.NAMESPACE_MODULES, "counting", "tests.unused")
    monkeypatch.setitem(registry._loaded, "counting", namespace)
    return calls
