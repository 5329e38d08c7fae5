"""Parley's delivery benchmark: `python -m bench.run` (see bench/run.py and bench/RESULTS.md)."""
