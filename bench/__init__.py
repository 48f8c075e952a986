"""Reel's benchmark: `python -m bench` (CPU ratios, always) and `python -m bench --gpu` (full-size models)."""
