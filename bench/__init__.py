"""Benchmarks: each prints its figures as ratios measured side by side in one run. Run all: python -m bench."""
