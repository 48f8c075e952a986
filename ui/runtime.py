"""What every tab shares, built once at start: the served models, the gate, the GPU policy and where clips go.

Nothing here changes after start; handlers read it. Admission (who may generate) lives here because every
endpoint asks the same question the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import torch

from access import (
    AccessDenied,
    AllowList,
    DatabaseError,
    Gate,
    Grant,
    JobSlots,
    client_id,
    check_export_from_env,
    database_problem,
    default_data_dir,
    token_from_authorization,
    trusted_proxy_hops_from_env,
)
from access.admin import Admins
from access.gate import StartupReport
from access.hf import grant_for_profile, is_shared, running_on_spaces
from access.uploads import UploadLimits
from history import HistoryStore
from model import (
    GpuKind,
    GpuPolicy,
    InvalidRequest,
    MemoryPlan,
    ModelUnavailable,
    ShotCache,
    UnknownGpuKind,
    VideoEngine,
    choose_precision,
    continuity_for,
    detect_gpu_kind,
    load_engines,
    on_zerogpu,
    hd_sizes as hd_sizes_for,
    smooth_too_big,
    plan_served_memory,
    resident_weight_bytes,
)
from provenance import C2paSigner, ProvenanceError
from settings import read_setting, read_settings

from . import gpu
from .job_control import JobControl

logger = logging.getLogger("reel.app")

# GPU calls at once on ZeroGPU. ZeroGPU gives every concurrent call its own GPU and bills each visitor's own quota,
# so the Space need not make visitors wait for each other; what the calls share is this process: each finished clip
# comes back as float32 frames (121 x 768 x 512 x 3 x 4 bytes = 0.57 GB for the default LTX-2 clip) that are
# encoded, signed and kept on the Space's CPU. Four at once bounds that at about 2.3 GB of frames; the per-holder cap
# (REEL_MAX_JOBS_PER_HOLDER) still keeps one visitor from taking all four.
ZEROGPU_CONCURRENCY = 4
# A dedicated GPU holds one call's activations at a time (the memory plan counts one), so calls take turns there.
DEDICATED_GPU_CONCURRENCY = 1


@dataclass(frozen=True)
class ServingSettings:
    """The settings the runtime reads itself, checked before any model loads: a typo there would otherwise cost
    minutes of loading and then a traceback. A bad value raises ValueError naming the setting."""

    queue_size: int
    clip_lifetime_seconds: int
    shot_cache_bytes: int
    storyboard_max_seconds: float

    @classmethod
    def from_env(cls, environ=None) -> "ServingSettings":
        settings = read_settings(
            environ, ("REEL_QUEUE_SIZE", "REEL_CLIP_LIFETIME", "REEL_SHOT_CACHE_BYTES", "REEL_STORYBOARD_MAX_SECONDS")
        )
        return cls(
            queue_size=settings["REEL_QUEUE_SIZE"],
            clip_lifetime_seconds=settings["REEL_CLIP_LIFETIME"],
            shot_cache_bytes=settings["REEL_SHOT_CACHE_BYTES"],
            storyboard_max_seconds=settings["REEL_STORYBOARD_MAX_SECONDS"],
        )


def gpu_concurrency_from_env(kind: GpuKind, environ=None) -> int:
    """REEL_GPU_CONCURRENCY, or the default for the hardware: several calls at once on ZeroGPU, one elsewhere."""
    chosen = read_setting("REEL_GPU_CONCURRENCY", environ)
    if chosen is not None:
        return chosen
    return ZEROGPU_CONCURRENCY if kind.zerogpu else DEDICATED_GPU_CONCURRENCY


@dataclass(frozen=True)
class Runtime:
    engines: dict[str, VideoEngine]  # the first is the default
    policy: GpuPolicy
    gate: Gate
    job_control: JobControl  # each holder's jobs queued or running (REEL_MAX_JOBS_PER_HOLDER), and stopping them
    startup: StartupReport
    allow_list: AllowList
    data_dir: Path
    output_dir: Path  # clips, beside Gradio's cache; never under the data dir
    upload_dir: Path  # finished uploads, moved here from Gradio's cache so they can be pruned (ui/uploads.py)
    uploads: UploadLimits  # the upload budget and the upload folder's size (REEL_UPLOAD_*)
    clip_lifetime_seconds: int
    shot_cache: ShotCache  # under the data dir, which no file route reaches
    history: HistoryStore  # each holder's finished videos (REEL_HISTORY_DIR, else under the data dir)
    signer: C2paSigner | None  # None: outputs are not C2PA-signed (no certificate set)
    storyboard_max_seconds: float
    queue_size: int
    gpu_concurrency: int
    memory_plan: MemoryPlan  # the served models' memory on the GPU (on ZeroGPU: the size every call runs on)
    on_spaces: bool
    trusted_proxy_hops: int  # proxies in front that append to X-Forwarded-For (REEL_TRUSTED_PROXY_HOPS)
    shared: bool
    admins: Admins  # who may run the gate from the page or a script (REEL_ADMINS, REEL_ADMIN_TOKEN)

    @classmethod
    def from_env(cls) -> "Runtime":
        """Load the served models and open the gate, as the environment says (docs/configuration.md).

        Models load here, at import of the app, outside any GPU function: on ZeroGPU this is where `.to("cuda")`
        must happen. Anything that stops a model from loading ends start-up with one message naming the model
        and the fix. A bad setting ends it the same way, before any model loads (app.py checks the settings even
        earlier, before the slow imports)."""
        data_dir = default_data_dir()
        temp_dir = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
        try:
            read_settings()  # every REEL_* value, by settings/declared.py's rules: SettingError names the first bad one
            check_export_from_env()  # REEL_TOKENS decodes and agrees with REEL_TOKEN_PEPPER (merged after loading)
            # The signing credential next: a bad certificate stops the start before minutes of model loading.
            signer = C2paSigner.from_env()
            history = HistoryStore.from_env(data_dir)
            trusted_proxy_hops = trusted_proxy_hops_from_env()
            uploads = UploadLimits.from_env()  # ValueError: the REEL_UPLOAD_* limits do not fit together
            slots = JobSlots.from_env()
            serving = ServingSettings.from_env()
            admins = Admins.from_env()  # ValueError: an admin token too short to be safe
            gate = Gate.from_env(data_dir)
            gate.open()  # the database reachable and its schema current before minutes of loading
        except (ProvenanceError, ValueError) as cannot:
            raise SystemExit(f"Reel cannot start: {cannot}") from None
        except DatabaseError as unreachable:
            raise SystemExit(
                f"Reel cannot start: cannot use the token store at {gate.store.where}: {database_problem(unreachable)}"
            ) from None
        except RuntimeError as newer:  # a schema newer than this code
            raise SystemExit(f"Reel cannot start: {newer}") from None
        try:
            kind = detect_gpu_kind(on_zerogpu(), torch.cuda.is_available())  # UnknownGpuKind: REEL_GPU_KIND
            gpu_concurrency = gpu_concurrency_from_env(kind)
            time_policy = GpuPolicy.from_env(kind)
            plan = plan_served_memory(None, kind)  # before any download: refused here when nothing fits
            log_memory_plan(plan)
            engines = load_engines(data_dir=data_dir, plan=plan)  # unknown REEL_MODELS entries refused before loading
        except (ModelUnavailable, UnknownGpuKind, ValueError) as cannot:
            raise SystemExit(f"Reel cannot start: {cannot}") from None
        recovered = history.recover()  # a crash mid-copy leaves a stray file, never a half item
        logger.info("History: %s", recovered)
        # ZeroGPU copies every served model into a fresh worker: each call's estimate includes that copy. Calls are
        # planned on the size the memory plan chose (xlarge where the models need it).
        resident = sum(
            resident_weight_bytes(engine.spec, choose_precision(engine.spec, plan.kind)) for engine in engines.values()
        )
        hd_sizes = hd_sizes_for(plan, [engine.spec for engine in engines.values() if engine.supports_hd])
        too_big = smooth_too_big(plan, [engine.spec for engine in engines.values() if engine.supports_smooth])
        policy = dataclasses.replace(
            time_policy, kind=plan.kind, resident_weight_bytes=resident, hd_sizes=hd_sizes, smooth_too_big=too_big
        )
        for key, engine in engines.items():
            logger.info("Model %s, fast path %s", key, engine.fast_path.summary())
        gpu.serve(engines)
        return cls(
            engines=engines,
            policy=policy,
            gate=gate,
            job_control=JobControl(slots, gate),
            startup=gate.startup(),  # merge the REEL_TOKENS secret; refund clips a crash or restart left reserved
            allow_list=AllowList.from_env(),
            data_dir=data_dir,
            output_dir=temp_dir / "reel-clips",
            upload_dir=temp_dir / "reel-uploads",
            uploads=uploads,
            clip_lifetime_seconds=serving.clip_lifetime_seconds,
            shot_cache=ShotCache(data_dir / "shot-cache", max_bytes=serving.shot_cache_bytes),
            history=history,
            signer=signer,
            storyboard_max_seconds=serving.storyboard_max_seconds,
            queue_size=serving.queue_size,
            gpu_concurrency=gpu_concurrency,
            memory_plan=plan,
            on_spaces=running_on_spaces(),
            trusted_proxy_hops=trusted_proxy_hops,
            shared=is_shared(os.environ.get("GRADIO_SERVER_NAME"), os.environ.get("GRADIO_SHARE", "").lower() == "true"),
            admins=admins,
        )

    @property
    def on_xlarge(self) -> bool:
        """Every call runs on ZeroGPU's xlarge size (twice the quota): the served models need it."""
        return bool(self.memory_plan.xlarge_reason)

    @property
    def default_model(self) -> str:
        return next(iter(self.engines))

    def engine_for(self, model: str | None) -> VideoEngine:
        key = model or self.default_model
        if not isinstance(key, str) or key not in self.engines:
            served = ", ".join(self.engines)
            raise InvalidRequest(f"Unknown model {str(key)[:60]!r}; this Space serves: {served}.", "model")
        return self.engines[key]

    def storyboard_alternatives(self, engine: VideoEngine) -> tuple[list[str], list[str]]:
        """Labels of the other served models that can continue shots, and that can end a shot on a picture."""
        others = [other for other in self.engines.values() if other is not engine]
        continuing = [other.spec.label for other in others if continuity_for(other.spec).continues]
        ending = [other.spec.label for other in others if continuity_for(other.spec).end_image]
        return continuing, ending

    # -- who is asking --------------------------------------------------------------------------------------

    def client_of(self, request: gr.Request | None) -> str:
        """Who failed attempts are counted against: the X-Forwarded-For entry the outermost trusted proxy wrote,
        else the peer (access.lockout.client_id)."""
        peer = request.client.host if request is not None and request.client is not None else None
        headers = request.headers if request is not None else {}
        return client_id(headers, peer, self.trusted_proxy_hops)

    def admit(self, access_token: str | None, profile: gr.OAuthProfile | None, request: gr.Request | None) -> Grant:
        """Who may generate: a Reel token; else an allow-listed Hugging Face sign-in (browser) or HF token (API).

        Raises AccessDenied with the message to show. Failed attempts count towards the client's lockout.
        """
        client = self.client_of(request)
        bearer = bearer_token(request)
        token = presented_token(access_token, bearer)
        if token is None and profile is not None and not self.allow_list.empty:
            return grant_for_profile(profile, self.allow_list, self.on_spaces, self.shared)
        if token is None and bearer and bearer.startswith("hf_") and not self.allow_list.empty:
            return self.gate.admit_hf(bearer, client, self.allow_list)
        return self.gate.admit(token, client)

    def admission(
        self, access_token: str | None, profile: gr.OAuthProfile | None, request: gr.Request | None
    ) -> tuple[Grant | None, dict[str, str]]:
        """A validator's first question, the same on every endpoint: the grant, or the refusal to show under the
        token field."""
        try:
            return self.admit(access_token, profile, request), {}
        except AccessDenied as denied:
            return None, {"access_token": denied.message}

    def job_admission(self, grant: Grant | None, problems: dict[str, str], request: gr.Request | None) -> dict[str, str]:
        """A GPU validator's last step: when nothing else is wrong, a slot among the holder's jobs queued or
        running (REEL_MAX_JOBS_PER_HOLDER), or the refusal to show under the token field. Call it on the event
        loop (the validators are async)."""
        if grant is None or problems:
            return problems
        return self.job_control.take_slot(grant, request, self.client_of(request))

    def prune_old_clips(self) -> None:
        """Our copy of a clip is only needed until Gradio has cached it; old ones go, so the disk does not fill."""
        cutoff = time.time() - self.clip_lifetime_seconds
        for clip in self.output_dir.glob("reel-*.mp4"):
            try:
                if clip.stat().st_mtime < cutoff:
                    clip.unlink()
            except OSError:
                pass  # removed by a concurrent prune


def log_memory_plan(plan: MemoryPlan) -> None:
    """The plan in the start-up log; on xlarge a warning, since every visitor then pays twice."""
    logger.info("Memory plan: %s", plan.describe())
    if plan.xlarge_reason:
        logger.warning(
            "ZeroGPU: every call runs on the xlarge size (a whole GPU) because %s: visitors pay twice the quota "
            "per GPU second", plan.xlarge_reason,
        )


def bearer_token(request: gr.Request | None) -> str | None:
    header = request.headers.get("authorization") if request is not None else None
    return token_from_authorization(header)


def presented_token(access_token: str | None, bearer: str | None) -> str | None:
    """The token from the form or API parameter, else from an `Authorization: Bearer reel_...` header.

    A bearer value that is not a Reel token (a Hugging Face token sent to reach a private Space) is not taken
    for a wrong Reel token.
    """
    if access_token and access_token.strip():
        return access_token
    return bearer if bearer and bearer.startswith("reel_") else None
