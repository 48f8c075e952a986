"""The whole page for one runtime: `build_demo(runtime)` builds it (header, access, tabs, footer) and its queue, and
`launch_options(runtime)` says how to serve it. app.py calls both; tests build the app in their own process the
same way (`demo.launch(prevent_thread_lock=True, **launch_options(runtime))`), with no second copy of either.
"""

from __future__ import annotations

import gradio as gr

from model import plan_request

from .admin import AdminTab
from .components import access_token_box, preview_banner
from .generate import GenerateTab
from .history import HistoryTab
from .page import PAGE_CSS, reel_theme
from .remember import browser_secret, remember_token
from .reproduce import ReproduceTab
from .runtime import Runtime
from .server_hooks import server_hooks
from .storyboard import StoryboardTab
from .studio import Studio


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
        quota = runtime.policy.quota_note(engine.spec, plan_request(engine.spec, "default clip"), "its default clip")
        if quota:
            line += f" {quota}"
        lines.append(line)
    lines.append(
        "Every video is signed with C2PA content credentials and carries its manifest."
        if runtime.signer is not None
        else "Videos are not signed (this Space has no C2PA certificate); each still carries its manifest."
    )
    return "\n\n".join(lines)


def build_demo(runtime: Runtime) -> gr.Blocks:
    """The page and its queue, wired to `runtime`; the queue's jobs are watched by the per-holder job slots. Every
    tab wires its events to one studio (ui/studio/), which does the work behind them; no tab knows another, so
    what crosses tabs (the History tab filling the Generate tab's start image) goes through components handed over
    here."""
    default_spec = runtime.engines[runtime.default_model].spec
    studio = Studio(runtime)
    generate_tab = GenerateTab(studio)
    storyboard_tab = StoryboardTab(studio)
    reproduce_tab = ReproduceTab(studio)
    history_tab = HistoryTab(studio)
    admin_tab = AdminTab(studio)

    with gr.Blocks(title="Reel", delete_cache=(3600, runtime.clip_lifetime_seconds)) as demo:
        gr.Markdown(
            "# Reel\nShort videos from your words or a picture, made with open-weight models. You need an access "
            "token from this Space's operator.",
            elem_id="reel-header",
        )
        banner = gr.Markdown(preview_banner(default_spec), elem_id="preview-banner", visible=default_spec.is_preview)
        hf_sign_in = runtime.on_spaces and not runtime.allow_list.empty
        if hf_sign_in:
            # Only on Spaces: elsewhere Gradio's sign-in is a mock that signs every visitor in as the host's account.
            gr.Markdown("Allow-listed Hugging Face accounts may sign in instead of using a token.")
            gr.LoginButton()
        with gr.Row(equal_height=False, elem_id="token-row"):  # the remember option beside the token
            access_token = access_token_box(hf_sign_in)
            remember_token(demo, access_token, browser_secret(runtime.data_dir))
        # "wrap": every tab stays in sight on a phone, on a second line, instead of behind a "⋯" menu.
        with gr.Tabs(overflow_behavior="wrap", elem_id="tabs") as tabs:
            with gr.Tab("Generate", id="generate-tab"):
                start_image = generate_tab.build(access_token, banner)
            with gr.Tab("Storyboard", id="storyboard-tab"):
                storyboard_tab.build(access_token)
            with gr.Tab("Reproduce & extend", id="reproduce-tab"):
                reproduce_tab.build(access_token)
            with gr.Tab("History", id="history-tab"):
                history_tab.build(access_token, tabs, start_image)
            # Hidden until the token box holds the admin token or an admin has signed in on the Space.
            with gr.Tab("Admin", id="admin-tab", visible=False) as admin:
                admin_tab.build(access_token)
        gr.Markdown(status_footer(runtime), elem_id="status-footer")
        reveal = dict(inputs=access_token, outputs=admin, api_visibility="private", queue=False)
        access_token.change(studio.admin.reveal, **reveal)
        demo.load(studio.admin.reveal, **reveal)

    demo.queue(max_size=runtime.queue_size, default_concurrency_limit=runtime.gpu_concurrency)
    runtime.job_control.watch(demo)  # each holder's job slots follow this queue's jobs
    return demo


def launch_options(runtime: Runtime) -> dict:
    """Keyword arguments for `demo.launch`: what Reel's serving relies on, whoever launches it."""
    return dict(
        show_error=False,  # internal error text never reaches API clients; gr.Error messages still do
        run_history=False,  # would keep every input, the token box included, in the browser's localStorage
        enable_monitoring=False,
        strict_cors=True,
        max_file_size=runtime.uploads.file_bytes,  # one file (REEL_UPLOAD_FILE_BYTES): Gradio answers 413 past it
        app_kwargs=server_hooks(runtime),  # upload budget and pruning, the MCP tool table (ui/server_hooks.py)
        num_workers=0,  # uploads stay in this process, behind the guard, even if GRADIO_NUM_WORKERS is set
        allowed_paths=[],
        # No file route reaches the data dir or the history folder (REEL_HISTORY_DIR may be outside the data dir).
        blocked_paths=[str(runtime.data_dir.resolve()), str(runtime.history.files_dir.resolve())],
        theme=reel_theme(),  # Reel's colours, system fonts (ui/page.py)
        css=PAGE_CSS,
        mcp_server=True,  # agents' tools at /gradio_api/mcp/, three of them (ui/mcp.py)
    )
