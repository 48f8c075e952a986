"""The model catalog: one plain-data entry per model Reel can serve.

Everything the engine, the UI and the ZeroGPU duration estimate need to know about a model lives here, so
adding a model means adding an entry, not editing code paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Resolution presets are named by shape, not pixels, so API callers can ask for "landscape" on any model and
# each model answers with its own native size.
RESOLUTION_NAMES = ("landscape", "portrait", "square")


@dataclass(frozen=True)
class GpuCost:
    """Numbers the ZeroGPU duration estimate uses: seconds = overhead + steps * megapixel-frames * per_step."""

    overhead_seconds: float
    seconds_per_step_per_megapixel_frame: float
    # Decoding and encoding scale with the clip, not with the steps.
    seconds_per_megapixel_frame: float


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    family: str  # "wan" or "ltx": decides call arguments the pipelines do not share
    pipeline_class: str
    # Hub repo id for real models; None for tiny models built by code (see tiny_builder).
    repo_id: str | None
    tiny_builder: str | None
    torch_dtype: str  # on GPU; CPU always runs float32
    size_multiple: int
    frame_step: int  # frames must be frame_step * k + 1
    fps: int
    presets: dict[str, tuple[int, int]]  # name -> (width, height)
    default_preset: str
    min_steps: int
    max_steps: int
    default_steps: int
    default_guidance: float
    default_seconds: float
    max_seconds: float
    gpu_cost: GpuCost
    extra_call_kwargs: dict = field(default_factory=dict)

    @property
    def is_preview(self) -> bool:
        """Random-weight models make coloured noise: the UI says so."""
        return self.tiny_builder is not None

    @property
    def max_frames(self) -> int:
        return int(self.max_seconds * self.fps) // self.frame_step * self.frame_step + 1


CATALOG: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="wan2.2-ti2v-5b",
            label="Wan 2.2 TI2V 5B (720p, 24 fps)",
            family="wan",
            pipeline_class="WanPipeline",
            repo_id="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,
            frame_step=4,
            fps=24,
            presets={"landscape": (1280, 704), "portrait": (704, 1280), "square": (960, 960)},
            default_preset="landscape",
            min_steps=4,
            max_steps=50,
            default_steps=40,
            default_guidance=5.0,
            default_seconds=5.0,
            max_seconds=5.0,
            # Estimates from the published ~9 min for 5 s of 720p on one consumer GPU, scaled to an H200;
            # not yet calibrated on hardware (see README, Performance).
            gpu_cost=GpuCost(
                overhead_seconds=10.0,
                seconds_per_step_per_megapixel_frame=0.02,
                seconds_per_megapixel_frame=0.1,
            ),
        ),
        ModelSpec(
            key="tiny-ltx",
            label="Tiny LTX-Video preview (random weights, CPU)",
            family="ltx",
            pipeline_class="LTXPipeline",
            repo_id=None,
            tiny_builder="tiny-ltx",
            torch_dtype="float32",
            size_multiple=32,
            frame_step=8,
            fps=24,
            presets={"landscape": (512, 320), "portrait": (320, 512), "square": (384, 384)},
            default_preset="landscape",
            min_steps=1,
            max_steps=50,
            default_steps=8,
            default_guidance=3.0,
            default_seconds=2.0,
            max_seconds=5.0,
            gpu_cost=GpuCost(
                overhead_seconds=5.0,
                seconds_per_step_per_megapixel_frame=0.001,
                seconds_per_megapixel_frame=0.01,
            ),
        ),
        ModelSpec(
            key="tiny-wan",
            label="Tiny Wan preview (random weights, CPU)",
            family="wan",
            pipeline_class="WanPipeline",
            repo_id=None,
            tiny_builder="tiny-wan",
            torch_dtype="float32",
            size_multiple=16,
            frame_step=4,
            fps=16,
            presets={"landscape": (96, 64), "portrait": (64, 96), "square": (64, 64)},
            default_preset="landscape",
            min_steps=1,
            max_steps=50,
            default_steps=4,
            default_guidance=5.0,
            default_seconds=1.0,
            max_seconds=3.0,
            gpu_cost=GpuCost(
                overhead_seconds=5.0,
                seconds_per_step_per_megapixel_frame=0.001,
                seconds_per_megapixel_frame=0.01,
            ),
        ),
    )
}

DEFAULT_GPU_MODEL = "wan2.2-ti2v-5b"
DEFAULT_CPU_MODEL = "tiny-ltx"
