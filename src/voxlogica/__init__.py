"""VoxLogicA: a spatial model checker and declarative language for medical images."""

__version__ = "0.1.0"
