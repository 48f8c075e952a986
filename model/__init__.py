"""Reel's video engine: catalog, loading, generation and encoding. Imports no Gradio."""

import logging

# transformers' quantizers import torchao (FP8, model/precision.py) whenever diffusers loads a pipeline. With a CPU
# build of torch torchao warns that its CUDA kernels cannot load, and its enum registrations make torch warn once
# each, and diffusers warns that it cannot find torchao types for reading torchao-serialized checkpoints (Reel
# quantizes at load and never reads one): noise in every start-up log. The fast path reports whether FP8 really
# applied (footer and log).
for _noisy in ("torchao", "torch.utils._pytree", "diffusers.quantizers.torchao.torchao_quantizer"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)

from .acceleration import FastPathReport, apply_fast_path, on_zerogpu, plan_fast_path, set_conv3d_memory_format
from .catalog import (
    CATALOG,
    LORA_SCALE_RANGE,
    QUALITIES,
    RESOLUTION_NAMES,
    AudioSpec,
    GpuCost,
    HdSpec,
    LoraSpec,
    ModelSpec,
    SpeedOptions,
    WeightSizes,
)
from .continuity import (
    ColourCorrection,
    ColourStats,
    Continuity,
    ShotInputs,
    colour_drift,
    colour_stats,
    continuity_for,
    match_colour,
)
from .encoding import (
    NotAReelVideo,
    decode_frames,
    encode_mp4,
    last_frame,
    output_file_name,
    probe_audio,
    probe_video,
    read_manifest,
    read_reel_video,
    read_sound,
)
from .engine import GeneratedClip, RenderedClip, VideoEngine
from .extend import extend_clip
from .gpu_time import GpuBudget, GpuPolicy, estimate_gpu_seconds
from .hardware import KINDS, GpuKind, UnknownGpuKind, detect_gpu_kind
from .images import ImageProblem, open_image_file, pixel_sha256, to_rgb
from .loading import (
    ModelUnavailable,
    load_engine,
    load_engines,
    parse_model_list,
    plan_served_memory,
    resolve_model_choice,
)
from .memory import MemoryPlan, MemoryPlanError, check_memory, hd_sizes, plan_memory, smooth_too_big
from .precision import Precision, choose_precision, resident_weight_bytes
from .reproduce import (
    MAX_MANIFEST_BYTES,
    check_adapter_files,
    ReproducedStoryboard,
    load_manifest,
    plan_from_manifest,
    reproduce,
    request_from_entry,
)
from .requests import MAX_PROMPT_CHARS, MAX_SEED, GenerationRequest, InvalidRequest, plan_request
from .shot_cache import ShotCache
from .sound import SoundTrack, join_sound
from .storyboard import (
    MAX_SHOTS,
    STYLE_PRESETS,
    PlannedShot,
    StoryboardPlan,
    Style,
    parse_shots,
    plan_storyboard,
    resolve_style,
)
from .storyboard_runner import (
    RenderedStoryboard,
    ScaledProgress,
    ShotFailed,
    ShotProgress,
    StoryboardResult,
    render_storyboard,
    run_storyboard,
)
from .version import APP_VERSION

__all__ = [
    "APP_VERSION",
    "CATALOG",
    "KINDS",
    "LORA_SCALE_RANGE",
    "QUALITIES",
    "MAX_MANIFEST_BYTES",
    "MAX_PROMPT_CHARS",
    "MAX_SEED",
    "MAX_SHOTS",
    "RESOLUTION_NAMES",
    "STYLE_PRESETS",
    "AudioSpec",
    "ColourCorrection",
    "ColourStats",
    "Continuity",
    "FastPathReport",
    "GeneratedClip",
    "GenerationRequest",
    "GpuBudget",
    "GpuCost",
    "GpuKind",
    "GpuPolicy",
    "ImageProblem",
    "InvalidRequest",
    "HdSpec",
    "LoraSpec",
    "MemoryPlan",
    "MemoryPlanError",
    "ModelSpec",
    "ModelUnavailable",
    "NotAReelVideo",
    "PlannedShot",
    "Precision",
    "RenderedClip",
    "RenderedStoryboard",
    "ReproducedStoryboard",
    "ScaledProgress",
    "ShotCache",
    "ShotFailed",
    "ShotInputs",
    "ShotProgress",
    "SoundTrack",
    "SpeedOptions",
    "StoryboardPlan",
    "StoryboardResult",
    "Style",
    "UnknownGpuKind",
    "VideoEngine",
    "WeightSizes",
    "choose_precision",
    "plan_served_memory",
    "resident_weight_bytes",
    "apply_fast_path",
    "check_adapter_files",
    "check_memory",
    "colour_drift",
    "colour_stats",
    "continuity_for",
    "decode_frames",
    "detect_gpu_kind",
    "encode_mp4",
    "estimate_gpu_seconds",
    "extend_clip",
    "join_sound",
    "last_frame",
    "load_engine",
    "load_engines",
    "load_manifest",
    "match_colour",
    "on_zerogpu",
    "open_image_file",
    "output_file_name",
    "parse_model_list",
    "parse_shots",
    "pixel_sha256",
    "plan_fast_path",
    "plan_from_manifest",
    "hd_sizes",
    "smooth_too_big",
    "plan_memory",
    "plan_request",
    "plan_storyboard",
    "probe_audio",
    "probe_video",
    "read_manifest",
    "read_reel_video",
    "read_sound",
    "render_storyboard",
    "reproduce",
    "request_from_entry",
    "resolve_model_choice",
    "resolve_style",
    "run_storyboard",
    "set_conv3d_memory_format",
    "to_rgb",
]
