"""How many seconds of GPU one request asks ZeroGPU for, and what to do when that is more than may be asked.

ZeroGPU stops a call that runs past the duration it asked for ("GPU task aborted") and refuses one that asks for
more than the visitor's tier allows, while asking for more than needed spends the visitor's quota for nothing.
So the estimate is what the request needs on the GPU kind at hand, and it is never cut down to fit: a request
that needs more than the cap runs on the xlarge size where the operator allows it, or is refused before the queue
with a message that says what would fit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from settings import default_of, read_settings

from .catalog import ModelSpec
from .hardware import GpuKind, gpu_kind
from .requests import MIN_SECONDS, GenerationRequest, InvalidRequest, snap_num_frames

DURATION_CAP_ENV = "REEL_GPU_DURATION_CAP"
XLARGE_ENV = "REEL_ZEROGPU_XLARGE"
# 120 s (settings/declared.py): the longest call a standard ZeroGPU visitor may ask for (spaces' own default
# duration is 60 s). It bounds the duration spaces schedules, after its own factor (model/hardware.py).
DEFAULT_DURATION_CAP_SECONDS = default_of(DURATION_CAP_ENV)
# Daily ZeroGPU quota (Hub docs spaces-zerogpu.md, 2026-05-13): unauthenticated 2 min, free 5 min, PRO/Team 40 min.
FREE_DAILY_QUOTA_SECONDS = 5 * 60
PRO_DAILY_QUOTA_SECONDS = 40 * 60
# Start-up, worst case: every weight downloaded in float32 (how some diffusers repos store them) at an assumed
# 100 MB/s from the Hub, read back from disk at an assumed 200 MB/s, and each ahead-of-time compile using all
# the GPU time it asks for (model/aot.py).
START_DOWNLOAD_BYTES_PER_SECOND = 100_000_000
START_LOAD_BYTES_PER_SECOND = 200_000_000


def estimate_gpu_seconds(
    spec: ModelSpec, request: GenerationRequest, kind: GpuKind, resident_weight_bytes: int = 0
) -> float:
    """Seconds `request` needs on `kind`, uncapped and unrounded.

    `resident_weight_bytes`: every served model's weights, which ZeroGPU copies into a fresh worker before the
    call runs. The main process cannot tell whether the worker is fresh, so the copy is always asked for: a few
    seconds of quota, against a whole clip lost when the call is stopped short.
    """
    megapixel_frames = request.width * request.height * request.num_frames / 1e6
    cost = spec.gpu_cost
    # HD (model/spec.py HdSpec): the request's steps run at the first stage's size, a quarter of the pixels, and
    # the refine's steps and the decode at the full size. The upsampler itself is one small pass, left out.
    first_stage_share = 1 / spec.hd.scale**2 if request.quality == "hd" and spec.hd else 1
    if request.smooth:  # the first stage makes half the frames; the temporal round's steps and the decode all of them
        first_stage_share = 0.5
    step_megapixel_frames = (request.steps * first_stage_share + request.refine_steps) * megapixel_frames
    work = (
        step_megapixel_frames * cost.seconds_per_step_per_megapixel_frame
        + megapixel_frames * cost.seconds_per_megapixel_frame
    )
    if request.enhance_prompt and request.enhanced_prompt is None:  # the rewrite runs first, in the same call
        work += spec.prompt_enhancement.gpu_seconds
    move = resident_weight_bytes / kind.weight_move_bytes_per_second if kind.weight_move_bytes_per_second else 0.0
    return cost.overhead_seconds + move + work / kind.relative_speed


@dataclass(frozen=True)
class GpuBudget:
    """What one request asks ZeroGPU for.

    `seconds` is the duration handed to `spaces.GPU`; spaces multiplies it by the size's duration factor before
    scheduling (1.5 on Blackwell `large`), so `scheduled_seconds` is what the call may really run and what must fit
    the cap, and `quota_seconds` what it asks of the visitor's daily quota (twice the seconds on `xlarge`).
    Off ZeroGPU the three are the same."""

    seconds: int
    size: str = "large"
    scheduled_seconds: int = 0
    quota_seconds: int = 0


def scheduled_seconds(handed: int, kind: GpuKind) -> int:
    """What spaces 0.51.3 schedules for a duration of `handed` seconds on `kind` (spaces/zero/client.py:
    `duration_seconds *= duration_factor` unless the size is xlarge, then `round(...)`)."""
    return round(handed * kind.duration_factor)


def handed_seconds(needed: float, kind: GpuKind) -> int:
    """The smallest whole duration whose scheduled time, after spaces' factor, still covers `needed` seconds.

    Reel's estimate is already made for the kind's own speed, so handing it over unchanged would have spaces
    stretch it by its factor again and the visitor's quota pay for time the call does not need."""
    handed = max(1, math.floor((needed - 1) / kind.duration_factor))
    while scheduled_seconds(handed, kind) < needed:
        handed += 1
    return handed


@dataclass(frozen=True)
class GpuPolicy:
    """The GPU kind requests are planned for (on ZeroGPU: the size every call runs on, model/memory.py), the most
    one call may run, and whether the operator lets a request that does not fit `large` run on `xlarge` (twice
    the quota per second)."""

    kind: GpuKind
    cap_seconds: int = DEFAULT_DURATION_CAP_SECONDS
    allow_xlarge: bool = False
    resident_weight_bytes: int = 0
    # Model key -> where its HD calls fit (model/memory.py hd_sizes): "planned", "xlarge" or "none".
    hd_sizes: dict = field(default_factory=dict)
    # Model keys whose smooth-motion calls do not fit the planned size (model/memory.py smooth_too_big).
    smooth_too_big: frozenset = frozenset()

    @classmethod
    def from_env(cls, kind: GpuKind, environ=None) -> "GpuPolicy":
        """REEL_GPU_DURATION_CAP (whole seconds, 1 or more) and REEL_ZEROGPU_XLARGE (a flag: on allows the xlarge
        size); anything else raises SettingError (a ValueError) naming the setting, so a typo stops the start
        before any model loads instead of being read as "no"."""
        settings = read_settings(environ, (DURATION_CAP_ENV, XLARGE_ENV))
        return cls(kind=kind, cap_seconds=settings[DURATION_CAP_ENV], allow_xlarge=settings[XLARGE_ENV])

    def needs(self, spec: ModelSpec, request: GenerationRequest, kind: GpuKind | None = None) -> float:
        return estimate_gpu_seconds(spec, request, kind or self.kind, self.resident_weight_bytes)

    def _budget_on(self, kind: GpuKind, needed: float) -> GpuBudget:
        handed = handed_seconds(needed, kind)
        scheduled = scheduled_seconds(handed, kind)
        return GpuBudget(
            seconds=handed,
            size=kind.size or "large",
            scheduled_seconds=scheduled,
            quota_seconds=math.ceil(scheduled * kind.quota_factor),
        )

    def fits(self, spec: ModelSpec, request: GenerationRequest) -> bool:
        if not self.kind.zerogpu:
            return True
        return self._budget_on(self.kind, self.needs(spec, request)).scheduled_seconds <= self.cap_seconds

    def budget(self, spec: ModelSpec, request: GenerationRequest) -> GpuBudget:
        """The duration and size to ask for; raises InvalidRequest when the request fits no size allowed here.

        Off ZeroGPU nothing stops a long call, so every request gets its estimate and nothing is refused."""
        if request.quality == "hd" and self.hd_sizes.get(spec.key, "planned") != "planned":
            return self._hd_on_xlarge(spec, request)
        if request.smooth and spec.key in self.smooth_too_big:
            raise InvalidRequest(
                f"Smooth motion with {spec.label} needs more GPU memory than {self.kind.label} has. Turn smooth "
                "motion off.", "smooth",
            )
        needed = self.needs(spec, request)
        if not self.kind.zerogpu:
            seconds = max(1, math.ceil(needed))
            return GpuBudget(seconds=seconds, scheduled_seconds=seconds, quota_seconds=0)
        budget = self._budget_on(self.kind, needed)
        if budget.scheduled_seconds <= self.cap_seconds:
            return budget
        if self.allow_xlarge and self.kind.xlarge:
            on_xlarge = self._on_xlarge(spec, request)
            if on_xlarge.scheduled_seconds <= self.cap_seconds:
                return on_xlarge
        raise InvalidRequest(self.too_long_message(spec, request, budget), "steps")

    def _on_xlarge(self, spec: ModelSpec, request: GenerationRequest) -> GpuBudget:
        """The budget for `request` on this hardware's xlarge size (only where it has one)."""
        xlarge = gpu_kind(self.kind.xlarge)
        return self._budget_on(xlarge, self.needs(spec, request, xlarge))

    def _hd_on_xlarge(self, spec: ModelSpec, request: GenerationRequest) -> GpuBudget:
        """An HD call whose refine needs more memory than the planned size: on ZeroGPU's xlarge where the operator
        allows it and the model fits there, refused otherwise with what to do instead."""
        where = self.hd_sizes[spec.key]
        if where == "xlarge" and self.allow_xlarge:
            budget = self._on_xlarge(spec, request)
            if budget.scheduled_seconds <= self.cap_seconds:
                return budget
            xlarge = gpu_kind(self.kind.xlarge)
            raise InvalidRequest(self.too_long_message(spec, request, budget, on=xlarge), "quality")
        if where == "xlarge":
            raise InvalidRequest(
                f"HD with {spec.label} needs more GPU memory than {self.kind.label} has, and this Space does not use "
                f"ZeroGPU's xlarge size (its operator can allow it with REEL_ZEROGPU_XLARGE=1, at twice the quota). "
                f"Choose quality \"standard\".", "quality",
            )
        raise InvalidRequest(
            f"HD with {spec.label} needs more GPU memory than this GPU has. Choose quality \"standard\".", "quality"
        )

    def quota_note(self, spec: ModelSpec, request: GenerationRequest, subject: str = "this clip") -> str:
        """What `request` (`subject` on the page) costs a visitor: "" off ZeroGPU."""
        if not self.kind.zerogpu:
            return ""
        budget = self._budget_on(self.kind, self.needs(spec, request))
        twice = " (xlarge: twice the GPU seconds)" if self.kind.quota_factor > 1 else ""
        return (
            f"On ZeroGPU {subject} asks for about {budget.quota_seconds} s of your daily GPU quota{twice}; "
            f"a free Hugging Face account has {FREE_DAILY_QUOTA_SECONDS // 60} min a day, PRO "
            f"{PRO_DAILY_QUOTA_SECONDS // 60} min."
        )

    def too_long_message(
        self, spec: ModelSpec, request: GenerationRequest, budget: GpuBudget, on: GpuKind | None = None
    ) -> str:
        """Why `request` is refused, on the size its `budget` was asked on (`on`: this policy's own by default)."""
        options = what_fits(self, spec, request)
        twice = budget.quota_seconds != budget.scheduled_seconds
        cost = f" ({budget.quota_seconds} s of your ZeroGPU quota)" if twice else ""
        message = (
            f"This request needs about {budget.scheduled_seconds} s of GPU time{cost} on {(on or self.kind).label}; one "
            f"request may use at most {self.cap_seconds} s."
        )
        if options:
            return f"{message} What fits: {', or '.join(options)}."
        return f"{message} Nothing at these settings fits; ask the Space's operator for a larger GPU size."


def what_fits(policy: GpuPolicy, spec: ModelSpec, request: GenerationRequest) -> list[str]:
    """Changes of one setting each that bring `request` within the cap: fewer steps, a shorter clip, a smaller
    size (the size only for text-to-video: an image request's size follows the image)."""
    options = []
    steps = next(
        (n for n in range(request.steps - 1, spec.min_steps - 1, -1)
         if policy.fits(spec, dataclasses.replace(request, steps=n))),
        None,
    )
    if steps is not None:
        options.append(f"{steps} steps")
    shorter = _longest_fitting_frames(policy, spec, request)
    if shorter is not None:
        options.append(f"{shorter / request.fps:.1f} s of video")
    scale = spec.hd.scale if request.quality == "hd" and spec.hd else 1
    if scale > 1:
        standard = dataclasses.replace(
            request, quality="standard", refine_steps=0, width=request.width // scale, height=request.height // scale
        )
        if policy.fits(spec, standard):
            options.append("standard quality")
    if request.image is None:
        for name, (width, height) in spec.presets.items():
            width, height = width * scale, height * scale
            smaller = dataclasses.replace(request, width=width, height=height, resolution=name)
            if width * height < request.width * request.height and policy.fits(spec, smaller):
                options.append(f"the {name} size ({width}×{height})")
    return options


def _longest_fitting_frames(policy: GpuPolicy, spec: ModelSpec, request: GenerationRequest) -> int | None:
    shortest = snap_num_frames(MIN_SECONDS * spec.fps, spec.frame_step, spec.max_frames)
    for frames in range(request.num_frames - spec.frame_step, shortest - 1, -spec.frame_step):
        if policy.fits(spec, dataclasses.replace(request, num_frames=frames)):
            return frames
    return None


def worst_case_start_seconds(specs: list[ModelSpec], zerogpu: bool = True) -> float:
    """Seconds from a cold Space to serving `specs`: downloads, loading and, on ZeroGPU, each compile. The README
    front matter's `startup_duration_timeout` must cover it (tests/test_space_build.py checks)."""
    from .aot import AOT_COMPILE_GPU_SECONDS

    stored = sum(spec.weights.bytes_in("float32") for spec in specs if spec.weights)
    compiles = sum(1 for spec in specs if zerogpu and spec.speed.aot_compile)
    return (
        stored / START_DOWNLOAD_BYTES_PER_SECOND
        + stored / START_LOAD_BYTES_PER_SECOND
        + compiles * AOT_COMPILE_GPU_SECONDS
    )
