"""MP4 encoding with PyAV, with the generation manifest stored inside the file.

H.264 in yuv420p plays in every browser, so Gradio serves the file untouched and the manifest tag survives
download: whoever has the clip can see how it was made and make it again.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from .sound import SoundTrack

MANIFEST_TAG = "comment"
# AAC at 96 kb/s per channel: transparent for generated speech, music and effects at a small cost in file size.
AAC_BITRATE_PER_CHANNEL = 96_000
# Samples handed to the AAC encoder at a time (its own frame size).
_AAC_FRAME_SAMPLES = 1024


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


# The start of each kind of output's file name; all start "reel" (the app's pruning of old clips looks for it).
OUTPUT_PREFIX = {"clip": "reel", "storyboard": "reel-storyboard", "extended": "reel-extended"}


def output_file_name(kind: str, seed: int | None, made_at: datetime | None = None) -> str:
    """The one naming of every MP4 Reel writes: kind, UTC time, seed (where the output has one) and a random part,
    so two outputs made in the same second never share a file."""
    made_at = made_at or datetime.now(timezone.utc)
    seed_part = "" if seed is None else f"-{seed}"
    return f"{OUTPUT_PREFIX[kind]}-{made_at:%Y%m%d-%H%M%S}{seed_part}-{uuid.uuid4().hex[:8]}.mp4"


def encode_mp4(
    frames, fps: int, path: Path, manifest: dict, crf: int = 23, preset: str = "veryfast",
    sound: SoundTrack | None = None,
) -> Path:
    """Write uint8 frames (F, H, W, 3) as H.264 yuv420p MP4 with the manifest as a JSON metadata tag, and
    `sound` (if any) as an AAC stream cut or padded to the video's exact length, so both end together.

    `frames` may also be a list of such arrays (a storyboard's shots), encoded one after the other, so a long
    video is never copied into one array just to be written out."""
    pieces = [frames_to_uint8(piece) for piece in (frames if isinstance(frames, (list, tuple)) else [frames])]
    height, width, channels = pieces[0].shape[1:]
    if channels != 3 or width % 2 or height % 2 or any(piece.shape[1:] != pieces[0].shape[1:] for piece in pieces):
        raise ValueError(f"frames must be RGB with even sides, all one size, got {[p.shape for p in pieces]}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    total_frames = sum(len(piece) for piece in pieces)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        container.metadata[MANIFEST_TAG] = json.dumps(manifest, ensure_ascii=False, sort_keys=True)
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        # Sound goes in beside the frames it belongs to (interleaved), so a player streams both from the start.
        audio = _AacWriter(container, sound.fitted(total_frames / fps)) if sound is not None else None
        for index, frame in enumerate(frame for piece in pieces for frame in piece):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
            if audio is not None:
                audio.write_until((index + 1) / fps)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            audio.finish()
    return path


class _AacWriter:
    """Feeds a sound track to an AAC stream of `container` in encoder-sized frames, up to a time."""

    def __init__(self, container, sound: SoundTrack):
        self.container = container
        self.sound = sound
        self.layout = "stereo" if sound.channels == 2 else "mono"
        self.stream = container.add_stream("aac", rate=sound.sample_rate)
        self.stream.layout = self.layout
        self.stream.bit_rate = AAC_BITRATE_PER_CHANNEL * sound.channels
        # ffmpeg's "fast" coder: 3 s of a pure tone took 0.157 s with the default two-loop search and 0.041 s with
        # it (0.036 and 0.016 s on noise); at this bit rate the difference is not audible on generated sound.
        self.stream.options = {"aac_coder": "fast"}
        self.written = 0

    def write_until(self, seconds: float) -> None:
        samples = self.sound.samples
        end = min(samples.shape[1], int(round(seconds * self.sound.sample_rate)))
        while end - self.written >= _AAC_FRAME_SAMPLES or (end == samples.shape[1] and self.written < end):
            self._encode(samples[:, self.written:self.written + _AAC_FRAME_SAMPLES])

    def _encode(self, chunk: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout=self.layout)
        frame.sample_rate = self.sound.sample_rate
        frame.pts = self.written
        frame.time_base = Fraction(1, self.sound.sample_rate)
        self.written += chunk.shape[1]
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def finish(self) -> None:
        self.write_until(self.sound.seconds)
        for packet in self.stream.encode():
            self.container.mux(packet)


def read_sound(path: Path, max_seconds: float = 120.0) -> SoundTrack | None:
    """The sound track of a clip as float samples, or None when it has none. The decoder's tail of AAC padding
    is cut at the stream's own duration; a track longer than `max_seconds` is refused (ValueError)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        duration = float(stream.duration * stream.time_base) if stream.duration else None
        if duration is not None and duration > max_seconds:
            raise ValueError("the sound track is too long")
        chunks, total = [], 0
        for frame in container.decode(stream):
            chunk = frame.to_ndarray()
            if frame.format.is_packed:
                chunk = chunk.reshape(-1, len(frame.layout.channels)).T
            chunks.append(chunk.astype(np.float32, copy=False))
            total += chunk.shape[1]
            if total > (max_seconds + 1) * rate:
                raise ValueError("the sound track is too long")
    if not chunks:
        return None
    track = SoundTrack(np.concatenate(chunks, axis=1), rate)
    return track.fitted(duration) if duration is not None else track


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


def last_frame(path: Path) -> np.ndarray:
    """The last frame of a clip as uint8 RGB (H, W, 3), decoding frame by frame so a long video is never held whole."""
    frame = None
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            pass
        if frame is None:
            raise ValueError("the video has no frames")
        return frame.to_ndarray(format="rgb24")


def probe_audio(path: Path) -> dict | None:
    """Codec, sample rate, channels and duration of a clip's sound stream, or None when it is silent."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        return {
            "codec": stream.codec_context.name,
            "sample_rate": stream.codec_context.sample_rate,
            "channels": len(stream.codec_context.layout.channels),
            "seconds": float(stream.duration * stream.time_base) if stream.duration else None,
        }


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


def read_reel_video(path: Path) -> tuple[np.ndarray, dict, SoundTrack | None]:
    """Frames, manifest and sound track (None when silent) of a Reel MP4. Anything else raises NotAReelVideo: a
    file that is not a video or has no Reel manifest before any frame is decoded, a video too large to hold once
    decoding passes the limit, a sound track that cannot be read."""
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
    try:
        sound = read_sound(path)
    except Exception:  # PyAV raises several kinds for a damaged stream
        raise NotAReelVideo(
            "The sound track of this video cannot be read. Upload the Reel MP4 as it was made."
        ) from None
    return frames, manifest, sound
