"""Dask clients: an embedded in-process cluster, or an existing scheduler.

The embedded cluster runs the workers as threads of this process, so there
is no server to start and no data is copied between processes; images are
processed by SimpleITK and numpy, which do their heavy work outside the GIL.
"""

from __future__ import annotations

import logging
import os

_DISTRIBUTED_LOGGERS = (
    "distributed",
    "distributed.core",
    "distributed.scheduler",
    "distributed.worker",
    "distributed.nanny",
)


def embedded_client(workers: int | None = None):
    """Start an in-process cluster with ``workers`` threads and return its client."""
    from distributed import Client, LocalCluster

    threads = workers or os.cpu_count() or 1
    # distributed logs its start-up at INFO and every failed task at ERROR
    # with a traceback; the engine reports failures itself, located in the
    # program, so only distributed's own breakdowns should reach the user.
    if not logging.getLogger("voxlogica").isEnabledFor(logging.DEBUG):
        for name in _DISTRIBUTED_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=threads,
        processes=False,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster, set_as_default=False)
    # The engine closes the cluster together with the client.
    client._embedded_cluster = cluster
    return client


def remote_client(address: str):
    """Connect to an existing dask.distributed scheduler at ``address``."""
    from distributed import Client

    return Client(address, set_as_default=False)


def client_factory(workers: int | None = None, scheduler: str | None = None):
    """Return a zero-argument function creating the client the options ask for."""
    if scheduler:
        return lambda: remote_client(scheduler)
    return lambda: embedded_client(workers)
