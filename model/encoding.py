"""MP4 encoding with PyAV, with the generation manifest stored inside the file.

H.264 in yuv420p plays in every browser, so Gradio serves the file untouched and the manifest tag survives
download: whoever has the clip can see how it was made and make it again.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

MANIFEST_TAG = "comment"


def _unit_to_uint8(values: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats to uint8, rounding to nearest; in place on `values`."""
    return values.mul_(255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)


def frames_to_uint8(frames: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] (what pipelines return with output_type="np") to uint8 (F, H, W, 3).

    Done in torch, on every core: numpy's single-threaded version took twice as long as x264 itself on a
    preview clip."""
    if frames.dtype == np.uint8:
        return frames
    return _unit_to_uint8(torch.from_numpy(np.array(frames, dtype=np.float32, copy=True))).numpy()


def video_tensor_to_uint8(video: torch.Tensor) -> np.ndarray:
    """A pipeline's output_type="pt" video, (F, C, H, W) floats in [0, 1] on any device, to uint8 (F, H, W, 3).

    Converted where the tensor lives: on a GPU that leaves a quarter of the bytes to copy back, and on CPU it
    skips the float numpy copy that output_type="np" makes (about 0.15 s of a 0.8 s preview clip)."""
    return _unit_to_uint8(video.float()).permute(0, 2, 3, 1).contiguous().cpu().numpy()


def encode_mp4(
    frames, fps: int, path: Path, manifest: dict, crf: int = 23, preset: str = "veryfast"
) -> Path:
    """Write uint8 frames (F, H, W, 3) as H.264 yuv420p MP4 with the manifest as a JSON metadata tag.

    `frames` may also be a list of such arrays (a storyboard's shots), encoded one after the other, so a long
    video is never copied into one array just to be written out."""
    pieces = [frames_to_uint8(piece) for piece in (frames if isinstance(frames, (list, tuple)) else [frames])]
    height, width, channels = pieces[0].shape[1:]
    if channels != 3 or width % 2 or height % 2 or any(piece.shape[1:] != pieces[0].shape[1:] for piece in pieces):
        raise ValueError(f"frames must be RGB with even sides, all one size, got {[p.shape for p in pieces]}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        container.metadata[MANIFEST_TAG] = json.dumps(manifest, ensure_ascii=False, sort_keys=True)
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        for frame in (frame for piece in pieces for frame in piece):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def read_manifest(path: Path) -> dict:
    """The manifest Reel wrote into a clip, or {} for a clip without one."""
    with av.open(str(path)) as container:
        raw = container.metadata.get(MANIFEST_TAG)
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return {}


def decode_frames(path: Path) -> np.ndarray:
    """All frames of a clip as uint8 RGB (F, H, W, 3), as a player would show them."""
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def probe_video(path: Path) -> dict:
    """Codec, pixel format, size and decoded frame count, as a player would see them."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "num_frames": decoded,
            "fps": float(stream.average_rate) if stream.average_rate else None,
        }


class NotAReelVideo(ValueError):
    """A file that is not a video Reel made (or cannot be read as one); the message says so."""


# A Reel video is at most a minute at the largest preset: refuse decoding anything that could be much larger.
MAX_DECODED_BYTES = 4_000_000_000


def read_reel_video(path: Path) -> tuple[np.ndarray, dict]:
    """Frames and manifest of a Reel MP4. Anything else raises NotAReelVideo: a file that is not a video or has
    no Reel manifest before any frame is decoded, a video too large to hold once decoding passes the limit."""
    message = "This file is not a video made by Reel (it carries no Reel manifest). Upload a Reel MP4."
    try:
        with av.open(str(path)) as container:
            raw = container.metadata.get(MANIFEST_TAG)
            streams = container.streams.video
            if not raw or not streams:
                raise NotAReelVideo(message)
            manifest = json.loads(raw)
            if not isinstance(manifest, dict) or "model" not in manifest:
                raise NotAReelVideo(message)
            stream = streams[0]
            frame_bytes = (stream.codec_context.width or 0) * (stream.codec_context.height or 0) * 3
            frames = []
            for frame in container.decode(stream):
                if frame_bytes * (len(frames) + 1) > MAX_DECODED_BYTES:
                    raise NotAReelVideo("This video is too long or too large to extend here.")
                frames.append(frame.to_ndarray(format="rgb24"))
            if not frames:
                raise NotAReelVideo(message)
            frames = np.stack(frames)
    except NotAReelVideo:
        raise
    except (av.FFmpegError, OSError, ValueError, TypeError):
        raise NotAReelVideo(message) from None
    return frames, manifest
