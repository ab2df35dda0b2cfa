"""Persistent, content-addressed store of plan-node results.

:mod:`~voxlogica.store.codecs` turns values into bytes without pickle;
:mod:`~voxlogica.store.results` keeps those bytes on disk, indexed by node id,
so that a rerun computes only the nodes whose ids changed.

Importing this package loads neither numpy nor SimpleITK.
"""

from voxlogica.store.codecs import (
    FORMAT_VERSION,
    PayloadError,
    SequenceRecord,
    UnsupportedPayloadVersion,
    decode_value,
    encode_value,
)
from voxlogica.store.results import (
    SCHEMA_VERSION,
    STORE_DIR_ENV_VAR,
    NullStore,
    ResultStore,
    Store,
    StoreError,
    StoreSchemaError,
    default_store_dir,
    open_store,
)

__all__ = [
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "STORE_DIR_ENV_VAR",
    "NullStore",
    "PayloadError",
    "ResultStore",
    "SequenceRecord",
    "Store",
    "StoreError",
    "StoreSchemaError",
    "UnsupportedPayloadVersion",
    "decode_value",
    "default_store_dir",
    "encode_value",
    "open_store",
]
