"""Per-request LoRA adapters: loaded once at start with diffusers' own LoRA loading, switched per request.

Every adapter a model entry lists is loaded into the transformer under its own name and left disabled. A request
then sets exactly the state it asks for, inside the engine's lock: no adapter (`disable_lora`), or one adapter at
its scale (`enable_lora` then `set_adapters`). Switching is bookkeeping on the already-loaded layers, a few
milliseconds, and exact: the base model's frames come back bit for bit after any adapter was used (tests prove it).
The state is set on every request, never assumed from the last one: loading an adapter activates it, and
`set_adapters` alone does not undo `disable_lora`.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from .catalog import LoraSpec, ModelSpec

logger = logging.getLogger("reel.model")


@dataclass(frozen=True)
class LoadedAdapter:
    spec: LoraSpec
    path: Path
    sha256: str

    def manifest_entry(self, scale: float) -> dict:
        """What the manifest records: enough to find the same file again and to check it is the same."""
        return {
            "name": self.spec.name,
            "scale": scale,
            "repo_id": self.spec.repo_id,
            "weight_name": self.spec.weight_name,
            "sha256": self.sha256,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class AdapterSet:
    """The adapters one engine serves, by name, and the per-request switch. Not thread-safe on its own: the
    engine calls `select` inside the lock that serialises its pipeline calls."""

    def __init__(self, pipeline, adapters: dict[str, LoadedAdapter]):
        self.pipeline = pipeline
        self.adapters = adapters

    def select(self, name: str | None, scale: float) -> None:
        """Put the transformer in the state one request asks for."""
        if not self.adapters:
            if name is not None:
                raise ValueError(f"no adapters are loaded, {name!r} was asked for")
            return
        if name is None:
            self.pipeline.disable_lora()
            return
        self.pipeline.enable_lora()
        self.pipeline.set_adapters([name], [scale])


def load_adapters(pipeline, spec: ModelSpec, data_dir: Path) -> AdapterSet:
    """Load every adapter `spec` lists; one that cannot be loaded is left out with a warning (the model still
    serves, without it). Must run outside torch.inference_mode: adapter weights made there cannot be switched."""
    # Every file first: a tiny adapter is built from the transformer as it is, before any adapter is added to it.
    files: dict[str, Path] = {}
    for lora in spec.loras:
        try:
            files[lora.name] = _adapter_file(pipeline, spec, lora, data_dir)
        except Exception as error:  # an adapter that cannot be had costs that adapter, not the Space
            _not_served(lora, spec, error)
    loaded: dict[str, LoadedAdapter] = {}
    for lora in spec.loras:
        if lora.name not in files:
            continue
        path = files[lora.name]
        try:
            with warnings.catch_warnings():
                # peft warns on every adapter after the first that the model will hold several: that is the point.
                warnings.filterwarnings("ignore", message="Already found a `peft_config`")
                pipeline.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=lora.name)
            if lora.name not in _loaded_names(pipeline):
                # diffusers only warns when no key matched the model; it loaded nothing.
                raise ValueError("no layer of the model matched the adapter's weights")
        except Exception as error:
            _not_served(lora, spec, error)
            continue
        loaded[lora.name] = LoadedAdapter(spec=lora, path=path, sha256=file_sha256(path))
        logger.info("LoRA %s loaded for %s (sha256 %s)", lora.name, spec.key, loaded[lora.name].sha256[:12])
    adapters = AdapterSet(pipeline, loaded)
    adapters.select(None, 0.0)  # loading activates the last adapter: start from the base model
    return adapters


def _adapter_file(pipeline, spec: ModelSpec, lora: LoraSpec, data_dir: Path) -> Path:
    """The adapter's weight file: built by code for the previews, else from the Hub (or its local cache)."""
    if lora.tiny_builder:
        from .tiny_lora import ensure_tiny_lora

        folder = Path(data_dir) / "loras" / spec.key / lora.name
        return ensure_tiny_lora(pipeline, lora.tiny_builder, folder, lora.weight_name)
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(lora.repo_id, lora.weight_name))


def _not_served(lora: LoraSpec, spec: ModelSpec, error: Exception) -> None:
    logger.warning(
        "LoRA %s for %s is not served: %s: %s", lora.name, spec.key, type(error).__name__, str(error)[:200]
    )


def _loaded_names(pipeline) -> set[str]:
    return {name for names in pipeline.get_list_adapters().values() for name in names}
