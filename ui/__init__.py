"""Reel's page: one module per tab, each laying out its part of the page and wiring its events to the studio.

`studio/` does the work behind every endpoint (admission, quota, the GPU call, encoding, signing, keeping),
`runtime.py` holds what the tabs and the studio share (served models, gate, GPU policy), `gpu.py` the only
functions that hold a ZeroGPU GPU, `components.py` the form controls, `demo.py` the whole page.
"""
