"""The company's catalogue: product lines, channels, customer types (dimensions.py) and
the metrics it uses (metrics.py). The door for the pages, the CLI and set-up."""

from __future__ import annotations

from . import dimensions, metrics
from .metrics import SEED_METRICS, SEED_STAGES, seed_company

__all__ = ["SEED_METRICS", "SEED_STAGES", "dimensions", "metrics", "seed_company"]
