"""Benchmarks: run as modules (`python -m bench.stats`), results under bench/results/ (not versioned)."""
