"""Do the models a Space serves fit its GPU, and on which ZeroGPU size? Checked at start, before any weight is
downloaded or loaded.

ZeroGPU copies every model loaded at import into each GPU worker, so all served models sit in GPU memory
together; a GPU call holds one model's activations, so only the largest model's activations count on top (on
ZeroGPU each concurrent call has its own GPU; on a dedicated GPU Reel runs one call at a time). A combination that
does not fit would start, then fail with out-of-memory at the first call.

On ZeroGPU the plan mirrors spaces (model/hardware.py): weights above the `xlarge_threshold` make spaces run every
call on `xlarge`, so the plan is made for `xlarge`; a plan that fits `xlarge` but not `large` asks for `xlarge`
itself. Either way Reel starts and says that visitors pay twice. Only what fits neither size is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import ModelSpec
from .hardware import GpuKind, gpu_kind
from .precision import Precision, choose_precision, resident_weight_bytes

GB = 1_000_000_000
# CUDA context, cuBLAS/cuDNN workspaces and the caching allocator's fragmentation: an allowance, not measured.
RUNTIME_RESERVE_BYTES = 3 * GB
# Share of the GPU's memory the plan may fill: the activation figures are allowances, so keep a tenth spare.
USABLE_SHARE = 0.9


class MemoryPlanError(RuntimeError):
    """The served models do not fit the GPU; the message says by how much and what would."""


def usable_bytes(kind: GpuKind) -> int | None:
    """What the plan may fill on `kind` (None: no GPU, nothing planned)."""
    return None if kind.memory_bytes is None else int(kind.memory_bytes * USABLE_SHARE)


@dataclass(frozen=True)
class MemoryPlan:
    kind: GpuKind  # the GPU (on ZeroGPU: the size) every call runs on
    weights: dict[str, int]  # model key -> bytes of weights on the GPU
    precisions: dict[str, Precision]  # model key -> how its weights are held and computed
    activation_bytes: int  # the largest of the served models' activation allowances
    reserve_bytes: int
    # Why the calls run on ZeroGPU's xlarge size ("" when they do not).
    xlarge_reason: str = ""

    @property
    def weight_bytes(self) -> int:
        return sum(self.weights.values())

    @property
    def total_bytes(self) -> int:
        return self.weight_bytes + self.activation_bytes + self.reserve_bytes

    @property
    def usable_bytes(self) -> int | None:
        return usable_bytes(self.kind)

    @property
    def fits(self) -> bool:
        return self.usable_bytes is None or self.total_bytes <= self.usable_bytes

    def describe(self) -> str:
        parts = " + ".join(f"{key} {size / GB:.1f} GB" for key, size in self.weights.items())
        line = (
            f"weights {parts}, activations {self.activation_bytes / GB:.1f} GB, runtime {self.reserve_bytes / GB:.1f} GB"
            f" = {self.total_bytes / GB:.1f} GB"
        )
        if self.usable_bytes is None:
            return f"{line} (no GPU: not planned)"
        line = f"{line} of {self.usable_bytes / GB:.1f} GB usable on {self.kind.label}"
        if self.xlarge_reason:
            line += f"; every call runs on xlarge because {self.xlarge_reason}, so visitors pay twice the quota"
        return line


def plan_memory(specs: list[ModelSpec], kind: GpuKind, xlarge_reason: str = "") -> MemoryPlan:
    """The plan for serving `specs` together on `kind`, fitting or not."""
    precisions = {spec.key: choose_precision(spec, kind) for spec in specs}
    activations = max((spec.weights.activation_bytes for spec in specs if spec.weights), default=0)
    return MemoryPlan(
        kind=kind,
        weights={spec.key: resident_weight_bytes(spec, precisions[spec.key]) for spec in specs},
        precisions=precisions,
        activation_bytes=activations,
        reserve_bytes=RUNTIME_RESERVE_BYTES if kind.memory_bytes is not None else 0,
        xlarge_reason=xlarge_reason,
    )


def plan_zerogpu_size(specs: list[ModelSpec], kind: GpuKind) -> MemoryPlan:
    """The plan on the size calls will really run on: `kind`, or its xlarge size where spaces or the memory say
    so. Not checked for fitting (check_memory does that)."""
    plan = plan_memory(specs, kind)
    if not kind.zerogpu or not kind.xlarge:
        return plan
    xlarge = gpu_kind(kind.xlarge)
    threshold = kind.xlarge_threshold_bytes
    if threshold is not None and plan.weight_bytes > threshold:
        reason = (
            f"the weights ({plan.weight_bytes / GB:.1f} GB) pass spaces' xlarge threshold ({threshold / GB:.1f} GB)"
        )
        return plan_memory(specs, xlarge, reason)
    if plan.fits:
        return plan
    on_xlarge = plan_memory(
        specs, xlarge, f"they need {plan.total_bytes / GB:.1f} GB, more than {plan.usable_bytes / GB:.1f} GB on large"
    )
    return on_xlarge if on_xlarge.fits else plan


def check_memory(specs: list[ModelSpec], kind: GpuKind) -> MemoryPlan:
    """The plan for serving `specs` together on `kind` (on ZeroGPU, on the size they need); raises MemoryPlanError
    when it fits no size."""
    plan = plan_zerogpu_size(specs, kind)
    if plan.fits:
        return plan
    fitting = [spec.key for spec in specs if plan_zerogpu_size([spec], kind).fits]
    advice = (
        f" Serve fewer models at once (each of {', '.join(fitting)} fits alone), or pick a GPU with more memory."
        if fitting
        else " None of them fits alone; pick a GPU with more memory."
    )
    largest = plan_memory(specs, gpu_kind(kind.xlarge)) if kind.zerogpu and kind.xlarge else plan
    where = f"{largest.kind.label}, the largest ZeroGPU size" if largest is not plan else kind.label
    raise MemoryPlanError(
        f"REEL_MODELS: {', '.join(spec.key for spec in specs)} need {largest.total_bytes / GB:.1f} GB of GPU memory "
        f"together, more than the {largest.usable_bytes / GB:.1f} GB Reel plans to use on {where} "
        f"({largest.describe()}).{advice}"
    )


def hd_call_bytes(plan: MemoryPlan, spec: ModelSpec) -> int:
    """GPU memory one HD call of `spec` needs: every served weight, the upsampler (moved in for the call only), the
    full-size refine's activations and the runtime."""
    return _call_with_upsampler_bytes(plan, spec.hd.upsampler_parameters, spec.hd.activation_bytes)


def smooth_call_bytes(plan: MemoryPlan, spec: ModelSpec) -> int:
    """GPU memory one smooth-motion call of `spec` needs: every served weight, the temporal upsampler (moved in for
    the call only), the temporal round's activations and the runtime."""
    return _call_with_upsampler_bytes(plan, spec.smooth.upsampler_parameters, spec.smooth.activation_bytes)


def _call_with_upsampler_bytes(plan: MemoryPlan, upsampler_parameters: int, activation_bytes: int) -> int:
    """A call that moves a bf16 upsampler in for itself alone: every served weight, the upsampler, the call's
    activations and the runtime."""
    return plan.weight_bytes + 2 * upsampler_parameters + activation_bytes + plan.reserve_bytes


def smooth_too_big(plan: MemoryPlan, specs: list[ModelSpec]) -> frozenset[str]:
    """Keys of the served models whose smooth-motion calls would not fit the planned GPU or size (refused per call;
    their other calls are not affected)."""
    return frozenset(
        spec.key for spec in specs
        if spec.smooth and plan.usable_bytes is not None and smooth_call_bytes(plan, spec) > plan.usable_bytes
    )


def hd_sizes(plan: MemoryPlan, specs: list[ModelSpec]) -> dict[str, str]:
    """Where each served model's HD calls can run: "planned" (the plan's own GPU or size), "xlarge" (on ZeroGPU,
    a whole card for those calls only, at twice the quota) or "none" (more memory than any size has). Standard
    clips are not affected: the upsampler and the refine's activations count only in HD calls."""
    sizes = {}
    for spec in specs:
        if spec.hd is None:
            continue
        needed = hd_call_bytes(plan, spec)
        if plan.usable_bytes is None or needed <= plan.usable_bytes:
            sizes[spec.key] = "planned"
            continue
        kind = plan.kind
        xlarge = gpu_kind(kind.xlarge) if kind.zerogpu and kind.xlarge else None
        fits_xlarge = xlarge is not None and needed <= usable_bytes(xlarge)
        sizes[spec.key] = "xlarge" if fits_xlarge else "none"
    return sizes
