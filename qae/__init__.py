"""qae: quality-measure abstraction engine (CLI, input contract, job orchestration)."""

__version__ = "0.1.0"
