"""Reel's video engine: catalog, loading, generation and encoding. Imports no Gradio."""

from .catalog import CATALOG, RESOLUTION_NAMES, ModelSpec
from .encoding import decode_frames, encode_mp4, probe_video, read_manifest
from .engine import RenderedClip, VideoEngine
from .loading import ModelUnavailable, load_engine, resolve_model_choice
from .requests import MAX_PROMPT_CHARS, GenerationRequest, InvalidRequest, estimate_gpu_seconds, plan_request
from .version import APP_VERSION

__all__ = [
    "APP_VERSION",
    "CATALOG",
    "MAX_PROMPT_CHARS",
    "RESOLUTION_NAMES",
    "GenerationRequest",
    "InvalidRequest",
    "ModelSpec",
    "ModelUnavailable",
    "RenderedClip",
    "VideoEngine",
    "decode_frames",
    "encode_mp4",
    "estimate_gpu_seconds",
    "load_engine",
    "plan_request",
    "probe_video",
    "read_manifest",
    "resolve_model_choice",
]
