"""Benchmarks: `python -m bench.run [names]`; figures in docs/benchmarks.md."""
