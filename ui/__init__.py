"""Reel's page: one module per tab, each building its part of the page and wiring its events.

`runtime.py` holds what the tabs share (served models, gate, GPU policy), `gpu.py` the only functions that hold a
ZeroGPU GPU, `jobs.py` what runs around them (admission, quota, errors), `components.py` the form controls.
"""
