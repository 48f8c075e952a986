"""Every REEL_* setting, declared once: its kind, default, allowed range or choices, one line of meaning and who
reads it. docs/configuration.md's table is generated from this list (`python -m settings --update-docs`), and
a test keeps the two equal.

Rules that need another part of Reel stay with that part and still run before any model loads: which model keys
exist (model/catalog.py), which GPU kinds exist (model/hardware.py), whether a certificate parses
(provenance/credentials.py), whether a token export decodes (access/export.py), how the upload limits fit together
(access/uploads.py) and which benchmark models and precisions exist (bench/).
"""

from __future__ import annotations

from pathlib import Path

from .setting import CHOICE, DATABASE_URL, EXACT_TEXT, FLAG, LIST, NUMBER, PATH, TEXT, WHOLE, Setting

MB = 1024**2
GB = 1024**3

DECLARED: tuple[Setting, ...] = (
    # -- which models, on which GPU -----------------------------------------------------------------------------
    Setting(
        "REEL_MODEL", TEXT, "auto", "the model to serve",
        "`auto`: `ltx-2-distilled` when CUDA is present, else the CPU preview `tiny-ltx2`. Also a catalog key or a "
        "local diffusers folder.",
        read_by="model/loading.py",
    ),
    Setting(
        "REEL_MODELS", LIST, (), "catalog keys or folders to serve together",
        "comma-separated keys or folders to serve together; the first is the default (unset: just `REEL_MODEL`)",
        read_by="model/loading.py", default_text="unset",
    ),
    Setting(
        "REEL_GPU_KIND", TEXT, None, "the GPU to plan for",
        "the GPU that memory, precision and GPU time are planned for: `zerogpu-rtx-pro-6000` (ZeroGPU `large`, "
        "today's default), `zerogpu-rtx-pro-6000-xlarge`, the legacy `zerogpu-h200` and `zerogpu-h200-xlarge`, "
        "`h200`, `h100`, `a100`, `l40s`, `cpu` (see `model/hardware.py`). Detected from the NVIDIA driver on "
        "ZeroGPU (Blackwell `large` when it cannot be read) or the CUDA device when unset",
        read_by="model/hardware.py", default_text="detected",
    ),
    Setting(
        "REEL_GPU_DURATION_CAP", WHOLE, 120, "seconds one request may run on ZeroGPU",
        "on ZeroGPU, the most seconds one request may run as spaces schedules it (after its 1.5 factor on "
        "`large`); a request above it is refused with what fits",
        read_by="model/gpu_time.py", least=1,
    ),
    Setting(
        "REEL_ZEROGPU_XLARGE", FLAG, False, "whether a request may run on ZeroGPU's xlarge size",
        "on: a request that does not fit `large`'s cap runs on ZeroGPU's `xlarge` size (a whole GPU, twice the "
        "quota per second)",
        read_by="model/gpu_time.py",
    ),
    Setting(
        "REEL_GPU_CONCURRENCY", WHOLE, None, "GPU calls at once",
        "GPU calls that run at once: on ZeroGPU each has its own GPU (see [Deploying, Many visitors at "
        "once](deploying.md#many-visitors-at-once)); a dedicated GPU takes one at a time",
        read_by="ui/runtime.py", least=1, default_text="`4` on ZeroGPU, else `1`",
    ),
    # -- serving ------------------------------------------------------------------------------------------------
    Setting(
        "REEL_QUEUE_SIZE", WHOLE, 16, "requests that may wait",
        "requests that may wait; more are refused with \"Queue is full\"",
        read_by="ui/runtime.py", least=1,
    ),
    Setting(
        "REEL_CLIP_LIFETIME", WHOLE, 6 * 3600, "seconds a finished clip stays downloadable",
        "seconds a finished clip stays downloadable from the server",
        read_by="ui/runtime.py", least=1,
    ),
    Setting(
        "REEL_STORYBOARD_MAX_SECONDS", NUMBER, 60.0, "seconds in the longest storyboard or extended video",
        "the longest storyboard or extended video, in seconds",
        read_by="ui/runtime.py",
    ),
    Setting(
        "REEL_SHOT_CACHE_BYTES", WHOLE, 2 * GB, "bytes of cached storyboard shots",
        "disk for cached storyboard shots under `REEL_DATA_DIR/shot-cache`; the least recently used go first",
        read_by="ui/runtime.py", default_text="`2147483648` (2 GB)",
    ),
    Setting(
        "REEL_BROWSER_SECRET", TEXT, None, "the key remembered tokens are encrypted with",
        "the key a browser encrypts a remembered access token with (\"Remember my token on this device\", off by "
        "default). The page hands it to the browser, so it keeps the token unreadable in the browser's storage, "
        "not from a script on the page; changing it makes remembered tokens unreadable",
        read_by="ui/remember.py", default_text="made once, kept in `REEL_DATA_DIR/browser-secret`", secret=True,
    ),
    # -- the gate -----------------------------------------------------------------------------------------------
    Setting(
        "REEL_DATA_DIR", PATH, Path("data"), "where Reel keeps its data",
        "token database (tokens, quotas, audit log), histories, the shot cache, tiny models and their tiny adapters",
        read_by="access/store.py, model/loading.py", default_text="`./data`",
    ),
    Setting(
        "REEL_DATABASE_URL", DATABASE_URL, None, "where the gate keeps tokens, quotas and the audit log",
        "a PostgreSQL server for tokens, limits, quotas, the audit log and the histories' index, so they survive a "
        "restart and several servers share them; unset, SQLite files under `REEL_DATA_DIR` (lost with the disk on a "
        "Space). Never shown: it can hold a password",
        read_by="access/store.py, history/store.py", default_text="unset (SQLite)", secret=True,
    ),
    Setting(
        "REEL_SERVER_NAME", TEXT, None, "this server's name on a shared database",
        "names this server's clip reservations on a database several servers share, so a restart refunds its own "
        "crash leftovers at once and never another server's clip in flight; give each server its own",
        read_by="access/gate.py", default_text="the Space's id (`SPACE_ID`), else host name and port",
    ),
    Setting(
        "REEL_TOKEN_PEPPER", EXACT_TEXT, None, "the key of stored token and prompt hashes",
        "HMAC key for stored token and prompt hashes (kept exactly as given: spaces count)",
        read_by="access/store.py", default_text="unset", secret=True,
    ),
    Setting(
        "REEL_TOKENS", TEXT, None, "a token export",
        "a `python -m access export` line, merged into the token table at start",
        read_by="access/export.py", default_text="unset", secret=True,
    ),
    Setting(
        "REEL_ALLOWED_USERS", LIST, (), "Hugging Face accounts that may generate",
        "Hugging Face accounts that may generate without a token (any case)",
        read_by="access/hf.py", default_text="unset",
    ),
    Setting(
        "REEL_ADMINS", LIST, (), "Hugging Face accounts that run the gate",
        "Hugging Face accounts (any case) that, signed in on the Space, see the Admin tab and may call `/admin_*`; "
        "the Space's owner always may",
        read_by="access/admin.py", default_text="unset (the Space's owner only)",
    ),
    Setting(
        "REEL_ADMIN_TOKEN", TEXT, None, "the admin token",
        "a secret of 32 characters or more for the `/admin_*` endpoints from a script, and for the Admin tab when "
        "pasted into the page's token box",
        read_by="access/admin.py", default_text="unset (no admin token)", secret=True,
    ),
    Setting(
        "REEL_ALLOWED_ORGS", LIST, (), "Hugging Face organisations whose members may generate",
        "Hugging Face organisations whose members may generate without a token (any case)",
        read_by="access/hf.py", default_text="unset",
    ),
    Setting(
        "REEL_HF_DAILY_LIMIT", WHOLE, None, "clips per UTC day for a signed-in Hugging Face account",
        "clips per UTC day for each signed-in Hugging Face account (unset: no limit)",
        read_by="access/hf.py", least=1, default_text="unset",
    ),
    Setting(
        "REEL_HF_DAILY_SECONDS", NUMBER, None, "seconds of video per UTC day for a signed-in Hugging Face account",
        "seconds of video per UTC day for each signed-in Hugging Face account (unset: no limit)",
        read_by="access/hf.py", default_text="unset",
    ),
    Setting(
        "REEL_TRUSTED_PROXY_HOPS", WHOLE, None, "proxies in front of Reel that append to X-Forwarded-For",
        "proxies in front of Reel that append to `X-Forwarded-For`: the lockout's client is the entry that many "
        "from the right (0: the peer address; see [Operating, Lockout](operating.md#lockout))",
        read_by="access/lockout.py", least=0, default_text="`1` on Spaces, else `0`",
    ),
    Setting(
        "REEL_AUDIT_PROMPTS", FLAG, False, "whether the audit log stores prompts",
        "on: the audit log stores prompts (off: only their keyed hash)",
        read_by="access/audit.py",
    ),
    Setting(
        "REEL_MAX_JOBS_PER_HOLDER", WHOLE, 2, "jobs one person may have waiting or running",
        "jobs one person (token label or Hugging Face account) may have waiting or running at once; more are "
        "refused before the queue (see [Operating](operating.md#jobs-at-once-per-person))",
        read_by="access/slots.py", least=1,
    ),
    Setting(
        "REEL_UPLOAD_FILE_BYTES", WHOLE, 64 * MB, "bytes in one uploaded file",
        "one uploaded file's cap (see [Operating, Uploads](operating.md#uploads))",
        read_by="access/uploads.py", least=1, default_text="`67108864` (64 MB)",
    ),
    Setting(
        "REEL_UPLOAD_BYTES_PER_WINDOW", WHOLE, 200 * MB, "bytes one client may upload per window",
        "bytes one client may upload per window; at least one file's cap and 64 KiB",
        read_by="access/uploads.py", least=1, default_text="`209715200` (200 MB)",
    ),
    Setting(
        "REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW", WHOLE, 2048 * MB, "bytes all clients together may upload per window",
        "bytes all clients together may upload per window; at least one client's budget",
        read_by="access/uploads.py", least=1, default_text="`2147483648` (2 GB)",
    ),
    Setting(
        "REEL_UPLOAD_WINDOW_SECONDS", NUMBER, 600.0, "seconds in the upload window",
        "the upload budget's sliding window, in seconds",
        read_by="access/uploads.py",
    ),
    Setting(
        "REEL_UPLOAD_STORE_BYTES", WHOLE, 2048 * MB, "bytes of uploads kept past the window",
        "disk for uploads older than the window; the oldest are pruned first",
        read_by="access/uploads.py", least=0, default_text="`2147483648` (2 GB)",
    ),
    # -- history and provenance ---------------------------------------------------------------------------------
    Setting(
        "REEL_HISTORY_MAX", WHOLE, 200, "videos kept per person",
        "videos kept per holder in their history; the oldest go first",
        read_by="history/store.py", least=1,
    ),
    Setting(
        "REEL_HISTORY_MAX_BYTES", WHOLE, 20 * GB, "bytes of history in total",
        "disk for all histories; a video that would pass it is delivered but not kept",
        read_by="history/store.py", least=1, default_text="`21474836480` (20 GB)",
    ),
    Setting(
        "REEL_HISTORY_DIR", PATH, None, "where kept videos are written",
        "the folder every holder's kept videos go to: on a Space, a mounted Storage Bucket, so histories survive "
        "restarts (with `REEL_DATABASE_URL` for their index). Each file is written once, whole, and never changed",
        read_by="history/store.py", default_text="`REEL_DATA_DIR/history`",
    ),
    Setting(
        "REEL_C2PA_CERT", TEXT, None, "the C2PA signing certificate chain",
        "the C2PA signing certificate chain, leaf first (PEM text or a path); with `REEL_C2PA_KEY`, every output "
        "is signed",
        read_by="provenance/credentials.py", default_text="unset",
    ),
    Setting(
        "REEL_C2PA_KEY", TEXT, None, "the C2PA signing key",
        "the private key of `REEL_C2PA_CERT`'s leaf (PEM text or a path)",
        read_by="provenance/credentials.py", default_text="unset", secret=True,
    ),
    # -- the GPU benchmark (`python -m bench --gpu`), never the app ---------------------------------------------
    Setting(
        "REEL_BENCH_MODELS", LIST, (), "catalog keys to benchmark",
        "`bench --gpu`: catalog keys to run (unset: every real entry, the default GPU model first)",
        read_by="bench/gpu.py", default_text="unset",
    ),
    Setting(
        "REEL_BENCH_BASELINE", CHOICE, "float32", "the benchmark's baseline precision",
        "`bench --gpu`: the baseline's precision (`bfloat16`: bf16 without the fast path, isolating cache and "
        "tiling; `off`: no baseline)",
        read_by="bench/gpu.py", choices=("float32", "bfloat16", "off"),
    ),
    Setting(
        "REEL_BENCH_BASELINE_STEPS", WHOLE, 4, "steps the benchmark's baseline runs",
        "`bench --gpu`: steps the baseline runs before its denoising time is scaled to the default step count; "
        "`0` runs every default step",
        read_by="bench/gpu.py", least=0,
    ),
    Setting(
        "REEL_BENCH_STORYBOARD_SHOTS", WHOLE, 12, "shots in the benchmark's storyboard",
        "`bench --gpu`: shots of 5 s in the fast model's storyboard row; `0` skips it",
        read_by="bench/gpu.py", least=0,
    ),
    Setting(
        "REEL_BENCH_HD", CHOICE, "on", "whether the benchmark runs its HD row",
        "`bench --gpu`: the default model's HD row (its standard clip, two-stage HD and the HD size in one stage, "
        "bench/gpu_hd.py); `off` skips it",
        read_by="bench/gpu.py", choices=("on", "off"),
    ),
    Setting(
        "REEL_BENCH_PRECISIONS", LIST, None, "the benchmark's precision variants",
        "`bench --gpu`: the default model's precision variants, from `bf16`, `fp8_storage`, `fp8_compute`, "
        "`fp8_compute+aot`; `off` skips the comparison",
        read_by="bench/gpu_precision.py", default_text="every variant",
    ),
)
