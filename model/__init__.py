"""Reel's video engine: catalog, loading, generation and encoding. Imports no Gradio."""

from .acceleration import FastPathReport, apply_fast_path, on_zerogpu, plan_fast_path, set_conv3d_memory_format
from .catalog import CATALOG, RESOLUTION_NAMES, GpuCost, ModelSpec, SpeedOptions, WeightSizes
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
from .encoding import NotAReelVideo, decode_frames, encode_mp4, probe_video, read_manifest, read_reel_video
from .engine import RenderedClip, VideoEngine
from .extend import extend_clip
from .gpu_time import GpuBudget, GpuPolicy, estimate_gpu_seconds
from .hardware import KINDS, GpuKind, UnknownGpuKind, detect_gpu_kind
from .images import ImageProblem, open_image_file, pixel_sha256, to_rgb
from .loading import ModelUnavailable, load_engine, load_engines, parse_model_list, resolve_model_choice
from .memory import MemoryPlan, MemoryPlanError, check_memory, plan_memory
from .reproduce import (
    MAX_MANIFEST_BYTES,
    ReproducedStoryboard,
    load_manifest,
    plan_from_manifest,
    reproduce,
    request_from_entry,
)
from .requests import MAX_PROMPT_CHARS, MAX_SEED, GenerationRequest, InvalidRequest, plan_request
from .shot_cache import ShotCache
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
    "MAX_MANIFEST_BYTES",
    "MAX_PROMPT_CHARS",
    "MAX_SEED",
    "MAX_SHOTS",
    "RESOLUTION_NAMES",
    "STYLE_PRESETS",
    "ColourCorrection",
    "ColourStats",
    "Continuity",
    "FastPathReport",
    "GenerationRequest",
    "GpuBudget",
    "GpuCost",
    "GpuKind",
    "GpuPolicy",
    "ImageProblem",
    "InvalidRequest",
    "MemoryPlan",
    "MemoryPlanError",
    "ModelSpec",
    "ModelUnavailable",
    "NotAReelVideo",
    "PlannedShot",
    "RenderedClip",
    "RenderedStoryboard",
    "ReproducedStoryboard",
    "ScaledProgress",
    "ShotCache",
    "ShotFailed",
    "ShotInputs",
    "ShotProgress",
    "SpeedOptions",
    "StoryboardPlan",
    "StoryboardResult",
    "Style",
    "UnknownGpuKind",
    "VideoEngine",
    "WeightSizes",
    "apply_fast_path",
    "check_memory",
    "colour_drift",
    "colour_stats",
    "continuity_for",
    "decode_frames",
    "detect_gpu_kind",
    "encode_mp4",
    "estimate_gpu_seconds",
    "extend_clip",
    "load_engine",
    "load_engines",
    "load_manifest",
    "match_colour",
    "on_zerogpu",
    "open_image_file",
    "parse_model_list",
    "parse_shots",
    "pixel_sha256",
    "plan_fast_path",
    "plan_from_manifest",
    "plan_memory",
    "plan_request",
    "plan_storyboard",
    "probe_video",
    "read_manifest",
    "read_reel_video",
    "render_storyboard",
    "reproduce",
    "request_from_entry",
    "resolve_model_choice",
    "resolve_style",
    "run_storyboard",
    "set_conv3d_memory_format",
    "to_rgb",
]
