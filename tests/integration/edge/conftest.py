"""pytest fixtures for the strata-edge suite (the harness lives in edge_harness.py)."""
from edge_harness import edge, edge_factory, origin  # noqa: F401  (fixtures)
