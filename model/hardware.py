"""The GPU kinds Reel plans for: how much memory each has and how fast it runs a catalog model, as plain data.

Two plans read these numbers: the memory plan (model/memory.py: do the served models fit?) and the GPU time
estimate (model/gpu_time.py: how many seconds a ZeroGPU call asks for). Only ZeroGPU kinds have a duration cap.

Speeds are relative to one whole NVIDIA H200, the GPU the catalog's `GpuCost` coefficients are written for.
None of these speeds has been measured on its GPU yet: each says where it comes from, and `python -m bench --gpu`
prints measured against estimated seconds so they can be calibrated the first time that GPU is at hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

GB = 1_000_000_000


@dataclass(frozen=True)
class GpuKind:
    key: str
    label: str
    # Device memory a process may fill, in bytes.
    memory_bytes: int | None
    # Transformer and VAE work, relative to a whole H200 (1.0). Divides the catalog's GpuCost work terms.
    relative_speed: float
    # Host-to-device copy of the weights when a fresh ZeroGPU worker starts, bytes per second.
    weight_move_bytes_per_second: float | None
    zerogpu: bool
    # The kind a `spaces.GPU(size="xlarge")` call gets on this hardware (ZeroGPU only).
    xlarge: str | None = None
    # Names `torch.cuda.get_device_name()` / spaces' ZeroGPU config report for this kind.
    device_names: tuple[str, ...] = ()
    source: str = ""


KINDS: dict[str, GpuKind] = {
    kind.key: kind
    for kind in (
        GpuKind(
            key="cpu",
            label="CPU (no GPU)",
            memory_bytes=None,
            relative_speed=1.0,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            source="No GPU: the tiny previews run in float32 in system memory; nothing is planned.",
        ),
        GpuKind(
            key="zerogpu-h200",
            label="ZeroGPU, standard size (NVIDIA H200 MIG 3g.71gb slice)",
            memory_bytes=74_625_056_768,
            relative_speed=60 / 132,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            xlarge="zerogpu-h200-xlarge",
            device_names=("NVIDIA H200 MIG 3g.71gb", "NVIDIA H200"),
            source=(
                "spaces 0.51.3 spaces/config.py: ZEROGPU_CUDA_TOTAL_MEMORY 74625056768 and 60 multiprocessors, the "
                "default ZeroGPU device; speed = 60 of the H200's 132 multiprocessors. Weight move: 10 GB/s, an "
                "assumed PCIe host-to-device rate (not measured)."
            ),
        ),
        GpuKind(
            key="zerogpu-h200-xlarge",
            label="ZeroGPU, xlarge size (assumed: a whole NVIDIA H200)",
            memory_bytes=141 * GB,
            relative_speed=1.0,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            source=(
                "spaces 0.51.3 spaces/zero/decorator.py documents size='xlarge' and spaces/zero/client.py bills it "
                "twice; what it is on H200 nodes is not documented there. Assumed a whole H200 (141 GB, NVIDIA's "
                "H200 datasheet)."
            ),
        ),
        GpuKind(
            key="zerogpu-rtx-pro-6000",
            label="ZeroGPU, standard size (NVIDIA RTX PRO 6000 Blackwell, shared)",
            memory_bytes=45_097_156_608,
            relative_speed=0.35,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            xlarge="zerogpu-rtx-pro-6000-xlarge",
            device_names=("NVIDIA RTX PRO 6000 Blackwell Server Edition",),
            source=(
                "spaces 0.51.3 spaces/zero/configs.json: 101973950464 bytes, xlarge_threshold 45097156608 (above it "
                "spaces makes every call xlarge), duration_factor 1.5. Memory planned as the threshold; speed "
                "assumed 0.35 of an H200 (not measured)."
            ),
        ),
        GpuKind(
            key="zerogpu-rtx-pro-6000-xlarge",
            label="ZeroGPU, xlarge size (a whole NVIDIA RTX PRO 6000 Blackwell)",
            memory_bytes=101_973_950_464,
            relative_speed=0.5,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            source="spaces 0.51.3 spaces/zero/configs.json memory; speed assumed 0.5 of an H200 (not measured).",
        ),
        GpuKind(
            key="h200",
            label="NVIDIA H200 (dedicated)",
            memory_bytes=141 * GB,
            relative_speed=1.0,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            device_names=("NVIDIA H200",),
            source="NVIDIA H200 datasheet: 141 GB HBM3e. The reference GPU of the catalog's GpuCost numbers.",
        ),
        GpuKind(
            key="h100",
            label="NVIDIA H100 80GB (dedicated)",
            memory_bytes=80 * GB,
            relative_speed=0.9,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            device_names=("NVIDIA H100 80GB HBM3", "NVIDIA H100"),
            source="NVIDIA H100 datasheet: 80 GB; same 132 multiprocessors as an H200, less memory bandwidth (assumed 0.9).",
        ),
        GpuKind(
            key="a100",
            label="NVIDIA A100 80GB (dedicated)",
            memory_bytes=80 * GB,
            relative_speed=0.32,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            device_names=("NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "NVIDIA A100"),
            source="NVIDIA datasheets: A100 312 dense bf16 TFLOP/s against the H200's 989.",
        ),
        GpuKind(
            key="l40s",
            label="NVIDIA L40S (dedicated)",
            memory_bytes=48 * GB,
            relative_speed=0.37,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            device_names=("NVIDIA L40S",),
            source="NVIDIA datasheets: L40S 362 dense bf16 TFLOP/s against the H200's 989; 48 GB.",
        ),
    )
}


class UnknownGpuKind(ValueError):
    """REEL_GPU_KIND names no kind; the message lists them."""


def gpu_kind(key: str) -> GpuKind:
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownGpuKind(f"REEL_GPU_KIND={key!r} is not a known GPU kind; choose one of: {', '.join(KINDS)}.") from None


def kind_for_device_name(name: str, zerogpu: bool) -> GpuKind | None:
    """The kind whose device names begin `name`: ZeroGPU kinds on ZeroGPU (only the standard size is named; the
    xlarge one is reached through its `xlarge` field), dedicated ones elsewhere."""
    for kind in KINDS.values():
        if kind.zerogpu == zerogpu and any(name.startswith(known) for known in kind.device_names):
            return kind
    return None


def _zerogpu_device_name() -> str:
    """What spaces itself believes the ZeroGPU device is: the driver's model name, else its default."""
    try:
        from spaces.zero.config import get_config

        return get_config()["model"]
    except Exception:  # spaces reads the driver's files; on an odd node fall back to its documented default
        return os.environ.get("ZEROGPU_CUDA_DEVICE_NAME", "NVIDIA H200 MIG 3g.71gb")


def detect_gpu_kind(zerogpu: bool, cuda_available: bool, environ=None) -> GpuKind:
    """REEL_GPU_KIND when set; else ZeroGPU's device, the local CUDA device, or the CPU.

    An unlisted dedicated GPU gets a kind made from what torch reports (its memory, a cautious speed), so the
    memory plan still holds there."""
    environ = os.environ if environ is None else environ
    chosen = (environ.get("REEL_GPU_KIND") or "").strip()
    if chosen:
        return gpu_kind(chosen)
    if zerogpu:
        return kind_for_device_name(_zerogpu_device_name(), zerogpu=True) or KINDS["zerogpu-h200"]
    if not cuda_available:
        return KINDS["cpu"]
    import torch

    name = torch.cuda.get_device_name(0)
    known = kind_for_device_name(name, zerogpu=False)
    if known is not None:
        return known
    return GpuKind(
        key="other-gpu",
        label=name,
        memory_bytes=torch.cuda.get_device_properties(0).total_memory,
        relative_speed=0.3,
        weight_move_bytes_per_second=None,
        zerogpu=False,
        source="Not in Reel's list: memory as torch reports it, speed assumed 0.3 of an H200.",
    )
