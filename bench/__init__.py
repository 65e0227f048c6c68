"""Benchmarks that write machine-readable results to ``bench/results/`` (not timed tests)."""
