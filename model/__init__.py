"""Reel's video engine: catalog, loading, generation and encoding. Imports no Gradio."""

from .acceleration import FastPathReport, apply_fast_path, on_zerogpu, plan_fast_path, set_conv3d_memory_format
from .catalog import CATALOG, RESOLUTION_NAMES, GpuCost, ModelSpec, SpeedOptions, WeightSizes
from .encoding import decode_frames, encode_mp4, probe_video, read_manifest
from .engine import RenderedClip, VideoEngine
from .gpu_time import GpuBudget, GpuPolicy, estimate_gpu_seconds
from .hardware import KINDS, GpuKind, UnknownGpuKind, detect_gpu_kind
from .loading import ModelUnavailable, load_engine, load_engines, parse_model_list, resolve_model_choice
from .memory import MemoryPlan, MemoryPlanError, check_memory, plan_memory
from .requests import MAX_PROMPT_CHARS, GenerationRequest, InvalidRequest, plan_request
from .version import APP_VERSION
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
from .extend import extend_clip
from .reproduce import MAX_MANIFEST_BYTES, ReproducedStoryboard, load_manifest, plan_from_manifest, reproduce
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
from .storyboard_runner import RenderedStoryboard, ShotFailed, StoryboardResult, render_storyboard, run_storyboard

__all__ = [
    "MAX_MANIFEST_BYTES",
    "MAX_SHOTS",
    "STYLE_PRESETS",
    "ColourCorrection",
    "ColourStats",
    "Continuity",
    "PlannedShot",
    "RenderedStoryboard",
    "ReproducedStoryboard",
    "ShotCache",
    "ShotFailed",
    "ShotInputs",
    "StoryboardPlan",
    "StoryboardResult",
    "Style",
    "colour_drift",
    "colour_stats",
    "continuity_for",
    "extend_clip",
    "load_manifest",
    "match_colour",
    "parse_shots",
    "plan_from_manifest",
    "plan_storyboard",
    "render_storyboard",
    "reproduce",
    "resolve_style",
    "run_storyboard",
    "APP_VERSION",
    "CATALOG",
    "KINDS",
    "MAX_PROMPT_CHARS",
    "RESOLUTION_NAMES",
    "FastPathReport",
    "GenerationRequest",
    "GpuBudget",
    "GpuCost",
    "GpuKind",
    "GpuPolicy",
    "InvalidRequest",
    "MemoryPlan",
    "MemoryPlanError",
    "ModelSpec",
    "ModelUnavailable",
    "RenderedClip",
    "SpeedOptions",
    "UnknownGpuKind",
    "VideoEngine",
    "WeightSizes",
    "apply_fast_path",
    "check_memory",
    "decode_frames",
    "detect_gpu_kind",
    "encode_mp4",
    "estimate_gpu_seconds",
    "load_engine",
    "load_engines",
    "on_zerogpu",
    "parse_model_list",
    "plan_fast_path",
    "plan_memory",
    "plan_request",
    "probe_video",
    "read_manifest",
    "resolve_model_choice",
    "set_conv3d_memory_format",
]
