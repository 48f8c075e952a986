"""Reel: open-weight video generation behind the Space operator's own access tokens.

Assembly and launch only: the page is built by `ui/demo.py` from the tabs in `ui/` (one module each), the video
engine lives in `model/`, the gate in `access/`. Every REEL_* setting is read first (`settings/`), before anything
slow is imported. On ZeroGPU the models must load at import, so the runtime and the page are made here, at module
level, and `python app.py` serves them.
"""

from settings import SettingError, read_settings

try:  # every REEL_* setting, before the slow imports: a bad value ends the start here, in one line naming it
    read_settings()
except SettingError as bad:
    raise SystemExit(f"Reel cannot start: {bad}") from None

import spaces  # noqa: E402, F401  # ZeroGPU: must be imported before torch touches CUDA.

import logging  # noqa: E402
import os  # noqa: E402

from ui.demo import build_demo, launch_options  # noqa: E402
from ui.gradio_internals import check_gradio_version  # noqa: E402
from ui.mcp import mcp_address, quiet_mcp_logs  # noqa: E402
from ui.runtime import Runtime  # noqa: E402

logger = logging.getLogger("reel.app")
# Before the runtime loads: the memory plan, the precision and the fast path are logged while it does.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
check_gradio_version()  # warns when the installed Gradio is not the one ui/gradio_internals.py was written for

RUNTIME = Runtime.from_env()  # loads the served models: on ZeroGPU this must happen at import
demo = build_demo(RUNTIME)

if __name__ == "__main__":
    quiet_mcp_logs()
    logger.info(
        "Start-up: %d clip reservation(s) left by a restart refunded; REEL_TOKENS added %d token(s)",
        RUNTIME.startup.refunded,
        RUNTIME.startup.merged.inserted,
    )
    demo.launch(prevent_thread_lock=True, **launch_options(RUNTIME))
    # Gradio prints the MCP address with a trailing slash, which the MCP inspector's CLI turns into another one.
    logger.info("MCP server for agents: %s", mcp_address(demo.local_url, os.environ.get("SPACE_HOST")))
    demo.block_thread()  # what launch does at the end without prevent_thread_lock
