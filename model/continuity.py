"""How one shot continues the one before: what each model can take, which frames it is given, which of its
frames to drop at the cut, and the colour matching that hides drift between shots.

Abilities are derived from the catalog's existing spec fields (family, image_pipeline_class, pipeline_config),
read against diffusers 0.42.1:
- LTXConditionPipeline takes `conditions` (LTXVideoCondition). A video condition at frame_index 0 is encoded and
  written over the first latent frames, so its frames come back at the start of the new clip: we give the last
  frame_step + 1 frames (one whole latent block plus the first frame) and drop that many at the cut. An image
  condition at a later frame_index is added as extra keyframe tokens, so LTX can aim a shot at an end picture.
- WanImageToVideoPipeline takes one start `image`; its first output frame stands for it, so we drop one.
  With `expand_timesteps` (Wan 2.2 TI2V) prepare_latents conditions on the first frame only and this transformer
  has no image encoder, so `last_image` is silently ignored: such a model is refused an end picture. Without
  that flag (Wan 2.1 FLF2V layout) `last_image` is used, but only next to a start image.
- No image pipeline (text only): no continuation, no end picture.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .catalog import ModelSpec

# BT.601 full-range RGB -> YCbCr (JPEG's): luma plus two colour-difference channels, so a mean/std match
# corrects brightness, contrast and colour cast separately, and each number in the manifest means something.
_RGB_TO_YCBCR = np.array(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=np.float64
)
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)
# A stretch beyond these would amplify noise more than it hides drift.
_MIN_GAIN, _MAX_GAIN = 0.5, 2.0


@dataclass(frozen=True)
class Continuity:
    """What a model can do for a storyboard."""

    continues: str | None  # "frames" (LTX video condition), "image" (Wan start image) or None (text only)
    overlap: int  # leading frames of a continued shot that reproduce its conditioning input (dropped at the cut)
    end_image: bool  # can aim a shot at a given last picture
    end_image_needs_start: bool  # ...only when the shot also starts from a picture (Wan FLF2V)


def continuity_for(spec: ModelSpec) -> Continuity:
    if spec.image_pipeline_class in ("LTXConditionPipeline", "LTX2ConditionPipeline"):
        return Continuity("frames", spec.frame_step + 1, end_image=True, end_image_needs_start=False)
    if spec.image_pipeline_class == "WanImageToVideoPipeline":
        flf2v = not spec.pipeline_config.get("expand_timesteps", False)
        return Continuity("image", 1, end_image=flf2v, end_image_needs_start=True)
    return Continuity(None, 0, end_image=False, end_image_needs_start=False)


@dataclass(frozen=True)
class ShotInputs:
    """The conditioning one shot is generated from, besides its request (whose `image` is the reference)."""

    start_image: Image.Image | None = None
    start_frames: np.ndarray | None = None  # uint8 (N, H, W, 3)
    end_image: Image.Image | None = None

    def engine_kwargs(self) -> dict:
        return {"start_image": self.start_image, "start_frames": self.start_frames, "end_image": self.end_image}


def frames_sha256(frames: np.ndarray) -> str:
    """Hash of uint8 frames including their shape, so 9 frames never collide with their own first 8."""
    frames = np.ascontiguousarray(frames, dtype=np.uint8)
    digest = hashlib.sha256(repr(frames.shape).encode())
    digest.update(frames.tobytes())
    return digest.hexdigest()


def continuation_inputs(continuity: Continuity, previous: np.ndarray) -> tuple[ShotInputs, dict]:
    """What the next shot starts from, taken from the end of the video so far, and its manifest entry."""
    if continuity.continues == "frames":
        tail = np.ascontiguousarray(previous[-continuity.overlap :])
        if len(tail) != continuity.overlap:
            raise ValueError(f"a continuation needs {continuity.overlap} frames, the video has {len(previous)}")
        return ShotInputs(start_frames=tail), {"kind": "frames", "frames": len(tail), "sha256": frames_sha256(tail)}
    if continuity.continues == "image":
        last = np.ascontiguousarray(previous[-1])
        entry = {"kind": "image", "frames": 1, "sha256": frames_sha256(last[None])}
        return ShotInputs(start_image=Image.fromarray(last)), entry
    raise ValueError("this model makes video from text only and cannot continue a shot")


@dataclass(frozen=True)
class ColourStats:
    """Per-channel mean and standard deviation in YCbCr (0-255 units)."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def as_dict(self) -> dict:
        return {"space": "YCbCr", "mean": list(self.mean), "std": list(self.std)}


def _rgb_moments(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (3,) and covariance (3, 3) of the RGB pixels, in torch on every core (numpy's float64 version was a
    third of a preview storyboard's time). Each block of 262,144 pixels is summed in float32, exact to about one
    part in ten million there, and the blocks are added up in float64."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.uint8)).reshape(-1, 3)
    total = torch.zeros(3, dtype=torch.float64)
    outer = torch.zeros(3, 3, dtype=torch.float64)
    for block in pixels.split(1 << 18):
        block = block.float()
        total += block.sum(dim=0).double()
        outer += (block.T @ block).double()
    mean = total / len(pixels)
    return mean.numpy(), (outer / len(pixels) - torch.outer(mean, mean)).numpy()


def colour_stats(frames: np.ndarray) -> ColourStats:
    """Stats of a whole shot (or one picture), from the RGB mean and covariance: YCbCr is a linear map of RGB,
    so no float copy of the video is needed. Every other pixel of every other row is counted: a quarter of the
    pixels, spread evenly over every frame, give the same means and spreads to well under a level."""
    mean_rgb, covariance = _rgb_moments(np.asarray(frames)[..., ::2, ::2, :])
    mean = _RGB_TO_YCBCR @ mean_rgb
    variance = np.clip(np.diag(_RGB_TO_YCBCR @ covariance @ _RGB_TO_YCBCR.T), 0.0, None)
    return ColourStats(tuple(float(v) for v in mean), tuple(float(v) for v in np.sqrt(variance)))


@dataclass(frozen=True)
class ColourCorrection:
    """y' = gain * y + offset per YCbCr channel, the same for every frame of a shot."""

    gain: tuple[float, float, float]
    offset: tuple[float, float, float]

    def as_dict(self) -> dict:
        return {"space": "YCbCr", "gain": list(self.gain), "offset": list(self.offset)}

    def apply(self, frames: np.ndarray) -> np.ndarray:
        """As one affine RGB map (YCbCr -> scale -> RGB folded together), in torch on every core.

        A correction too small to move any pixel by half a level after rounding returns the same frames, not a
        copy: the usual case when shots already agree."""
        matrix = _YCBCR_TO_RGB @ np.diag(self.gain) @ _RGB_TO_YCBCR
        shift = _YCBCR_TO_RGB @ np.asarray(self.offset)
        largest_move = 255.0 * np.abs(matrix - np.eye(3)).sum(axis=1) + np.abs(shift)
        if largest_move.max() < 0.5:
            return frames
        pixels = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.uint8)).reshape(-1, 3).float()
        rgb_map = torch.from_numpy(matrix.T.astype(np.float32))
        corrected = torch.addmm(torch.from_numpy(shift.astype(np.float32)), pixels, rgb_map)
        return corrected.round_().clamp_(0, 255).to(torch.uint8).reshape(frames.shape).numpy()


def colour_correction(source: ColourStats, target: ColourStats) -> ColourCorrection:
    """Mean/std transfer from a shot's stats to the target's (the first shot or the reference picture)."""
    gains, offsets = [], []
    for s_mean, s_std, t_mean, t_std in zip(source.mean, source.std, target.mean, target.std):
        gain = float(np.clip(t_std / s_std, _MIN_GAIN, _MAX_GAIN)) if s_std > 1e-6 else 1.0
        gains.append(gain)
        offsets.append(float(t_mean - gain * s_mean))
    return ColourCorrection(tuple(gains), tuple(offsets))


def match_colour(frames: np.ndarray, target: ColourStats) -> tuple[np.ndarray, ColourCorrection]:
    """The shot recoloured towards the target with one correction for all its frames, and that correction."""
    correction = colour_correction(colour_stats(frames), target)
    return correction.apply(frames), correction


def colour_drift(frames_a: np.ndarray, frames_b: np.ndarray, window: int = 4) -> float:
    """Colour jump at a cut, in 0-255 units: the mean absolute difference of the per-channel (RGB) means and
    standard deviations of the last `window` frames of `frames_a` and the first `window` of `frames_b`."""
    (mean_a, covariance_a), (mean_b, covariance_b) = _rgb_moments(frames_a[-window:]), _rgb_moments(frames_b[:window])
    std_a, std_b = (np.sqrt(np.clip(np.diag(c), 0.0, None)) for c in (covariance_a, covariance_b))
    differences = np.concatenate([np.abs(mean_a - mean_b), np.abs(std_a - std_b)])
    return float(differences.mean())


class StitchedVideo:
    """A video grown shot by shot, without the shot's leading frames that reproduce the previous end. The pieces
    are joined once, at the end: joining after every shot copied the whole video each time."""

    def __init__(self, start: np.ndarray | None = None):
        self.pieces: list[np.ndarray] = [start] if start is not None and len(start) else []

    def __len__(self) -> int:
        return sum(len(piece) for piece in self.pieces)

    def tail(self, count: int) -> np.ndarray:
        """The last `count` frames (fewer when the video is shorter)."""
        taken, needed = [], count
        for piece in reversed(self.pieces):
            if needed <= 0:
                break
            taken.append(piece[-needed:])
            needed -= len(taken[-1])
        return np.concatenate(taken[::-1]) if len(taken) > 1 else (taken[0] if taken else np.empty((0,)))

    def append(self, shot: np.ndarray, overlap: int) -> None:
        if self.pieces and self.pieces[0].shape[1:] != shot.shape[1:]:
            raise ValueError(f"shot size {shot.shape[1:]} differs from the video's {self.pieces[0].shape[1:]}")
        self.pieces.append(shot[overlap:] if self.pieces else shot)

    def frames(self) -> np.ndarray:
        return self.pieces[0] if len(self.pieces) == 1 else np.concatenate(self.pieces)
