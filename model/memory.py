"""Do the models a Space serves fit its GPU? Checked at start, before any weight is downloaded or loaded.

ZeroGPU copies every model loaded at import into each GPU worker, so all served models sit in GPU memory
together; only one generation runs at a time (Reel's GPU concurrency), so only the largest model's activations
count on top. A combination that does not fit would start, then fail with out-of-memory at the first call.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import ModelSpec
from .hardware import GpuKind

GB = 1_000_000_000
# CUDA context, cuBLAS/cuDNN workspaces and the caching allocator's fragmentation: an allowance, not measured.
RUNTIME_RESERVE_BYTES = 3 * GB
# Share of the GPU's memory the plan may fill: the activation figures are estimates, so keep a tenth spare.
USABLE_SHARE = 0.9


class MemoryPlanError(RuntimeError):
    """The served models do not fit the GPU; the message says by how much and what would."""


@dataclass(frozen=True)
class MemoryPlan:
    kind: GpuKind
    weights: dict[str, int]  # model key -> bytes of weights on the GPU
    activation_bytes: int  # the largest of the served models' activation allowances
    reserve_bytes: int

    @property
    def total_bytes(self) -> int:
        return sum(self.weights.values()) + self.activation_bytes + self.reserve_bytes

    @property
    def usable_bytes(self) -> int | None:
        return None if self.kind.memory_bytes is None else int(self.kind.memory_bytes * USABLE_SHARE)

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
        return f"{line} of {self.usable_bytes / GB:.1f} GB usable on {self.kind.label}"


def plan_memory(specs: list[ModelSpec], kind: GpuKind) -> MemoryPlan:
    activations = max((spec.weights.activation_bytes for spec in specs if spec.weights), default=0)
    return MemoryPlan(
        kind=kind,
        weights={spec.key: spec.weight_bytes for spec in specs},
        activation_bytes=activations,
        reserve_bytes=RUNTIME_RESERVE_BYTES if kind.memory_bytes is not None else 0,
    )


def check_memory(specs: list[ModelSpec], kind: GpuKind) -> MemoryPlan:
    """The plan for serving `specs` together on `kind`; raises MemoryPlanError when it does not fit."""
    plan = plan_memory(specs, kind)
    if plan.fits:
        return plan
    fitting = [spec.key for spec in specs if plan_memory([spec], kind).fits]
    advice = (
        f" Serve fewer models at once (each of {', '.join(fitting)} fits alone), or pick a GPU with more memory."
        if fitting
        else " None of them fits alone; pick a GPU with more memory."
    )
    raise MemoryPlanError(
        f"REEL_MODELS: {', '.join(spec.key for spec in specs)} need {plan.total_bytes / GB:.1f} GB of GPU memory "
        f"together, more than the {plan.usable_bytes / GB:.1f} GB Reel plans to use on {kind.label} "
        f"({plan.describe()}).{advice}"
    )
