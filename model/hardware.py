"""The GPU kinds Reel plans for: memory, speed, compute capability and how ZeroGPU bills each, as plain data.

Three plans read these numbers: the memory plan (model/memory.py: do the served models fit, and on which ZeroGPU
size?), the precision plan (model/precision.py: FP8 compute, FP8 storage or bf16, and the attention backend, by
compute capability) and the GPU time estimate (model/gpu_time.py: how many seconds a ZeroGPU call asks for).

ZeroGPU today (Hugging Face hub docs `docs/hub/spaces-zerogpu.md`, "[ZeroGPU] Blackwell update", 2026-05-13) runs
on NVIDIA RTX PRO 6000 Blackwell cards in two sizes: `large` (the default, half a card, 48 GB, 1x quota) and
`xlarge` (a whole card, 96 GB, 2x quota). spaces 0.51.3 (`spaces/zero/configs.json`) holds the card's figures and
the two rules Reel must mirror: when the weights moved to the GPU before launch pass `xlarge_threshold`, every call
runs on `xlarge` (`spaces/zero/__init__.py`), and a call on any size but `xlarge` has its duration multiplied by
`duration_factor` before it is scheduled (`spaces/zero/client.py`). The H200 slice ZeroGPU ran on before stays as
a legacy kind.

Speeds are relative to one whole NVIDIA H200, the GPU the catalog's `GpuCost` coefficients are written for.
None of the Blackwell speeds has been measured: each says where it comes from, and `python -m bench --gpu` prints
measured against estimated seconds so they can be calibrated the first time that GPU is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from settings import read_setting

GB = 1_000_000_000

# spaces 0.51.3 spaces/zero/configs.json, "NVIDIA RTX PRO 6000 Blackwell Server Edition": memory, xlarge_threshold,
# duration_factor, sm_major/sm_minor.
BLACKWELL_CARD_BYTES = 101_973_950_464
BLACKWELL_XLARGE_THRESHOLD_BYTES = 45_097_156_608
BLACKWELL_DURATION_FACTOR = 1.5
BLACKWELL_DEVICE_NAME = "NVIDIA RTX PRO 6000 Blackwell Server Edition"
# spaces 0.51.3 configs.json, "NVIDIA H200": 60 of the H200's 132 multiprocessors, duration_factor 1.0.
H200_SLICE_SPEED = 60 / 132
# Hugging Face's own calibration: spaces stretches a `large` call's duration 1.5 times against the H200 slice, so it
# expects work to take 1.5 times as long there. Not measured by Reel; `xlarge` is the whole card, twice `large`.
BLACKWELL_LARGE_SPEED = H200_SLICE_SPEED / BLACKWELL_DURATION_FACTOR


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
    # (major, minor) CUDA compute capability: picks FP8 compute and the attention backend (model/precision.py).
    compute_capability: tuple[int, int] | None = None
    # ZeroGPU only: the size name spaces uses ("large" or "xlarge") and the kind of the other size on this hardware.
    size: str | None = None
    xlarge: str | None = None
    # ZeroGPU only: spaces multiplies the duration a call asks for by this before scheduling it (not on xlarge).
    duration_factor: float = 1.0
    # ZeroGPU only: a second on this size costs the visitor this many seconds of daily quota.
    quota_factor: float = 1.0
    # ZeroGPU only: weights moved to the GPU before launch above this make spaces run every call on xlarge.
    xlarge_threshold_bytes: int | None = None
    # Names `torch.cuda.get_device_name()` / spaces' ZeroGPU config report for this kind.
    device_names: tuple[str, ...] = ()
    source: str = ""

    def supports_fp8_compute(self) -> bool:
        """FP8 tensor cores: Ada (8.9), Hopper (9.0), Blackwell (10.x, 12.x); not Ampere (A100, 8.0)."""
        return self.compute_capability is not None and self.compute_capability >= (8, 9)


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
            key="zerogpu-rtx-pro-6000",
            label="ZeroGPU large (half an NVIDIA RTX PRO 6000 Blackwell, 48 GB)",
            memory_bytes=BLACKWELL_CARD_BYTES // 2,
            relative_speed=BLACKWELL_LARGE_SPEED,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            compute_capability=(12, 0),
            size="large",
            xlarge="zerogpu-rtx-pro-6000-xlarge",
            duration_factor=BLACKWELL_DURATION_FACTOR,
            quota_factor=1.0,
            xlarge_threshold_bytes=BLACKWELL_XLARGE_THRESHOLD_BYTES,
            device_names=(BLACKWELL_DEVICE_NAME,),
            source=(
                "Hub docs spaces-zerogpu.md (2026-05-13): `large` is the default, half a card, 48 GB, 1x quota. Memory "
                "planned as half of spaces 0.51.3 configs.json's 101973950464 bytes; sm 12.0, xlarge_threshold "
                "45097156608 and duration_factor 1.5 from the same file. Speed: the H200 slice's (60/132 of an H200) "
                "divided by that factor, Hugging Face's own estimate of the slow-down (not measured). Weight move: "
                "10 GB/s, an assumed PCIe host-to-device rate (not measured)."
            ),
        ),
        GpuKind(
            key="zerogpu-rtx-pro-6000-xlarge",
            label="ZeroGPU xlarge (a whole NVIDIA RTX PRO 6000 Blackwell, 96 GB, 2x quota)",
            memory_bytes=BLACKWELL_CARD_BYTES,
            relative_speed=2 * BLACKWELL_LARGE_SPEED,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            compute_capability=(12, 0),
            size="xlarge",
            duration_factor=1.0,
            quota_factor=2.0,
            source=(
                "Hub docs spaces-zerogpu.md (2026-05-13): `xlarge` is a whole card, 96 GB, 2x quota; spaces 0.51.3 "
                "client.py applies no duration factor to xlarge and shows its request doubled in the quota message. "
                "Memory from configs.json; speed: twice `large`'s, a whole card against half (not measured)."
            ),
        ),
        GpuKind(
            key="zerogpu-h200",
            label="ZeroGPU, legacy standard size (NVIDIA H200 MIG 3g.71gb slice)",
            memory_bytes=74_625_056_768,
            relative_speed=H200_SLICE_SPEED,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            compute_capability=(9, 0),
            size="large",
            xlarge="zerogpu-h200-xlarge",
            duration_factor=1.0,
            device_names=("NVIDIA H200 MIG 3g.71gb", "NVIDIA H200"),
            source=(
                "Legacy: ZeroGPU's hardware before the Blackwell update. spaces 0.51.3 configs.json, \"NVIDIA H200\": "
                "memory 74625056768, 60 multiprocessors, sm 9.0, no xlarge_threshold, duration_factor 1.0; speed = 60 "
                "of the H200's 132 multiprocessors."
            ),
        ),
        GpuKind(
            key="zerogpu-h200-xlarge",
            label="ZeroGPU, legacy xlarge size (assumed: a whole NVIDIA H200, 2x quota)",
            memory_bytes=141 * GB,
            relative_speed=1.0,
            weight_move_bytes_per_second=10 * GB,
            zerogpu=True,
            compute_capability=(9, 0),
            size="xlarge",
            quota_factor=2.0,
            source=(
                "Legacy. spaces 0.51.3 documents size='xlarge' and bills it twice; what it was on H200 nodes is not "
                "documented there. Assumed a whole H200 (141 GB, NVIDIA's H200 datasheet)."
            ),
        ),
        GpuKind(
            key="h200",
            label="NVIDIA H200 (dedicated)",
            memory_bytes=141 * GB,
            relative_speed=1.0,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            compute_capability=(9, 0),
            device_names=("NVIDIA H200",),
            source="NVIDIA H200 datasheet: 141 GB HBM3e, Hopper (sm 9.0). The reference GPU of the catalog's GpuCost.",
        ),
        GpuKind(
            key="h100",
            label="NVIDIA H100 80GB (dedicated)",
            memory_bytes=80 * GB,
            relative_speed=0.9,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            compute_capability=(9, 0),
            device_names=("NVIDIA H100 80GB HBM3", "NVIDIA H100"),
            source="NVIDIA H100 datasheet: 80 GB, Hopper (sm 9.0); same 132 multiprocessors as an H200, less memory "
            "bandwidth (assumed 0.9).",
        ),
        GpuKind(
            key="a100",
            label="NVIDIA A100 80GB (dedicated)",
            memory_bytes=80 * GB,
            relative_speed=0.32,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            compute_capability=(8, 0),
            device_names=("NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "NVIDIA A100"),
            source="NVIDIA datasheets: A100 (Ampere, sm 8.0, no FP8) 312 dense bf16 TFLOP/s against the H200's 989.",
        ),
        GpuKind(
            key="l40s",
            label="NVIDIA L40S (dedicated)",
            memory_bytes=48 * GB,
            relative_speed=0.37,
            weight_move_bytes_per_second=None,
            zerogpu=False,
            compute_capability=(8, 9),
            device_names=("NVIDIA L40S",),
            source="NVIDIA datasheets: L40S (Ada, sm 8.9) 362 dense bf16 TFLOP/s against the H200's 989; 48 GB.",
        ),
    )
}

# When spaces cannot read the ZeroGPU device (or names one Reel does not list), plan for today's default size.
DEFAULT_ZEROGPU_KIND = "zerogpu-rtx-pro-6000"


class UnknownGpuKind(ValueError):
    """REEL_GPU_KIND names no kind; the message lists them."""


def gpu_kind(key: str) -> GpuKind:
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownGpuKind(f"REEL_GPU_KIND={key!r} is not a known GPU kind; choose one of: {', '.join(KINDS)}.") from None


def kind_for_device_name(name: str, zerogpu: bool) -> GpuKind | None:
    """The kind whose device names begin `name`: ZeroGPU kinds on ZeroGPU (only the default size is named; the
    xlarge one is reached through its `xlarge` field), dedicated ones elsewhere."""
    for kind in KINDS.values():
        if kind.zerogpu == zerogpu and any(name.startswith(known) for known in kind.device_names):
            return kind
    return None


def _zerogpu_device_name() -> str | None:
    """The device spaces itself read from the driver, or None when it could not read one.

    spaces' `get_config()` falls back to its first entry (the H200) when the driver's files cannot be read, which
    is no longer where ZeroGPU runs; so the driver's own model line is read here, and anything unreadable means
    "assume today's default" (the Blackwell `large` size)."""
    from glob import glob

    for path in sorted(glob("/proc/driver/nvidia/gpus/*/information")):
        try:
            with open(path, encoding="utf-8") as information:
                for line in information:
                    if line.startswith("Model:"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None


def detect_gpu_kind(zerogpu: bool, cuda_available: bool, environ=None, zerogpu_device_name=None) -> GpuKind:
    """REEL_GPU_KIND when set; else ZeroGPU's device, the local CUDA device, or the CPU.

    On ZeroGPU a device that cannot be read or is not listed plans for the Blackwell `large` size, today's default.
    An unlisted dedicated GPU gets a kind made from what torch reports (its memory, capability, a cautious speed),
    so the memory plan still holds there."""
    chosen = read_setting("REEL_GPU_KIND", environ)
    if chosen:
        return gpu_kind(chosen)
    if zerogpu:
        name = zerogpu_device_name() if zerogpu_device_name else _zerogpu_device_name()
        return (name and kind_for_device_name(name, zerogpu=True)) or KINDS[DEFAULT_ZEROGPU_KIND]
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
        compute_capability=tuple(torch.cuda.get_device_capability(0)),
        source="Not in Reel's list: memory and capability as torch reports them, speed assumed 0.3 of an H200.",
    )
