"""Reel: open-weight video generation behind the Space operator's own access tokens.

Assembly and launch only: the tabs live in `ui/` (one module each), the video engine in `model/`, the gate in
`access/`. The page reads top to bottom: header, access, tabs, footer.
"""

import spaces  # noqa: F401  # ZeroGPU: must be imported before torch touches CUDA.

import logging

import gradio as gr

from model import plan_request
from ui.components import access_token_box, preview_banner
from ui.generate import GenerateTab
from ui.gradio_internals import check_gradio_version
from ui.history import HistoryTab
from ui.mcp import quiet_mcp_logs
from ui.remember import browser_secret, remember_token
from ui.reproduce import ReproduceTab
from ui.page import PAGE_CSS, reel_theme
from ui.runtime import Runtime
from ui.server_hooks import server_hooks
from ui.storyboard import StoryboardTab

logger = logging.getLogger("reel.app")
# Before the runtime loads: the memory plan, the precision and the fast path are logged while it does.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
check_gradio_version()  # warns when the installed Gradio is not the one ui/gradio_internals.py was written for

RUNTIME = Runtime.from_env()  # loads the served models: on ZeroGPU this must happen at import
DEFAULT_SPEC = RUNTIME.engines[RUNTIME.default_model].spec


def status_footer(runtime: Runtime) -> str:
    """What the Space runs on and what a clip costs a visitor there, whether each model's fast path is on and at
    which precision (so a failed compile or FP8 fallback is visible), and whether outputs are signed."""
    lines = [f"Running on {runtime.policy.kind.label}."]
    if runtime.on_xlarge:
        lines.append(
            f"Every GPU call runs on ZeroGPU's xlarge size because {runtime.memory_plan.xlarge_reason}: each second "
            "costs visitors twice their quota."
        )
    for engine in runtime.engines.values():
        line = f"Fast path for {engine.spec.label}: {engine.fast_path.summary()}."
        if engine.fast_path.precision is not None:
            line += f" Precision: {engine.fast_path.precision.describe()}."
        quota = runtime.policy.quota_note(engine.spec, plan_request(engine.spec, "default clip"))
        if quota:
            line += f" {quota.replace('this clip', 'its default clip', 1)}"
        lines.append(line)
    lines.append(
        "Every video is signed with C2PA content credentials and carries its manifest."
        if runtime.signer is not None
        else "Videos are not signed (this Space has no C2PA certificate); each still carries its manifest."
    )
    return "\n\n".join(lines)


generate_tab = GenerateTab(RUNTIME)
storyboard_tab = StoryboardTab(RUNTIME)
reproduce_tab = ReproduceTab(RUNTIME, storyboard_tab)
history_tab = HistoryTab(RUNTIME, reproduce_tab)

with gr.Blocks(title="Reel", delete_cache=(3600, RUNTIME.clip_lifetime_seconds)) as demo:
    gr.Markdown(
        "# Reel\nShort videos from your words or a picture, made with open-weight models. You need an access "
        "token from this Space's operator.",
        elem_id="reel-header",
    )
    banner = gr.Markdown(preview_banner(DEFAULT_SPEC), elem_id="preview-banner", visible=DEFAULT_SPEC.is_preview)
    hf_sign_in = RUNTIME.on_spaces and not RUNTIME.allow_list.empty
    if hf_sign_in:
        # Only on Spaces: elsewhere Gradio's sign-in is a mock that signs every visitor in as the host's account.
        gr.Markdown("Allow-listed Hugging Face accounts may sign in instead of using a token.")
        gr.LoginButton()
    access_token = access_token_box(hf_sign_in)
    remember_token(demo, access_token, browser_secret(RUNTIME.data_dir))
    with gr.Tabs() as tabs:
        with gr.Tab("Generate", id="generate-tab"):
            start_image = generate_tab.build(
                access_token, banner, result_actions=reproduce_tab.result_actions(access_token)
            )
        with gr.Tab("Storyboard", id="storyboard-tab"):
            storyboard_tab.build(access_token)
        with gr.Tab("Reproduce & extend", id="reproduce-tab"):
            reproduce_tab.build(access_token)
        with gr.Tab("History", id="history-tab"):
            history_tab.build(access_token, tabs, start_image)
    gr.Markdown(status_footer(RUNTIME), elem_id="status-footer")

demo.queue(max_size=RUNTIME.queue_size, default_concurrency_limit=RUNTIME.gpu_concurrency)
RUNTIME.job_control.watch(demo)  # each holder's job slots follow this queue's jobs

if __name__ == "__main__":
    quiet_mcp_logs()
    logger.info(
        "Start-up: %d clip reservation(s) left by a restart refunded; REEL_TOKENS added %d token(s)",
        RUNTIME.startup.refunded,
        RUNTIME.startup.merged.inserted,
    )
    demo.launch(
        show_error=False,  # internal error text never reaches API clients; gr.Error messages still do
        run_history=False,  # would keep every input, the token box included, in the browser's localStorage
        enable_monitoring=False,
        strict_cors=True,
        max_file_size=RUNTIME.uploads.file_bytes,  # one file (REEL_UPLOAD_FILE_BYTES): Gradio answers 413 past it
        app_kwargs=server_hooks(RUNTIME),  # upload budget and pruning, the MCP tool table (ui/server_hooks.py)
        num_workers=0,  # uploads stay in this process, behind the guard, even if GRADIO_NUM_WORKERS is set
        allowed_paths=[],
        blocked_paths=[str(RUNTIME.data_dir.resolve())],
        theme=reel_theme(),  # Reel's colours, system fonts (ui/page.py)
        css=PAGE_CSS,
        mcp_server=True,  # agents' tools at /gradio_api/mcp/, three of them (ui/mcp.py)
    )
