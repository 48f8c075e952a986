"""What a catalog entry is made of: plain frozen dataclasses, no values (those live in model/catalog.py).

A model entry (ModelSpec) says how to drive one pipeline: sizes and frame rules, step and guidance ranges, the
numbers the ZeroGPU duration estimate and the memory plan use, its fast path, its sound and the LoRA adapters it
offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Resolution presets are named by shape, not pixels, so API callers can ask for "landscape" on any model and
# each model answers with its own native size.
RESOLUTION_NAMES = ("landscape", "portrait", "square")


@dataclass(frozen=True)
class GpuCost:
    """Numbers the ZeroGPU duration estimate uses (model/gpu_time.py), written for one whole NVIDIA H200:
    seconds = overhead + (steps * megapixel-frames * per_step + megapixel-frames * per_frame) / the GPU kind's
    relative speed (model/hardware.py), plus moving the weights into a fresh ZeroGPU worker."""

    overhead_seconds: float
    seconds_per_step_per_megapixel_frame: float
    # Decoding and encoding scale with the clip, not with the steps.
    seconds_per_megapixel_frame: float


@dataclass(frozen=True)
class SpeedOptions:
    """What the GPU fast path (model/acceleration.py) may do for one model. CPU runs none of it."""

    # Distillation LoRA: Hub repo and weight file, fused into the transformer at load.
    lora_repo: str | None = None
    lora_file: str | None = None
    lora_scale: float = 1.0
    # diffusers cache hook on the transformer: "first_block" (FirstBlockCacheConfig) or None.
    cache: str | None = None
    cache_threshold: float = 0.05
    # diffusers attention backend name (e.g. "_native_cudnn", "flash"), or None to keep the default.
    attention_backend: str | None = None
    # Ahead-of-time compile of the transformer on ZeroGPU (spaces.aoti_*). Replaces the cache hook there:
    # hooks cannot be exported.
    aot_compile: bool = False
    # Decode with VAE tiling when a frame has at least this many pixels (None: never).
    vae_tiling_min_pixels: int | None = None
    # Keep the transformer's weights in this narrower dtype on the GPU and compute in the entry's dtype
    # (diffusers' `enable_layerwise_casting`), so a model fits where its half-precision weights would not. Where
    # `fp8_compute` runs (compute capability 8.9 and up) it replaces this; elsewhere this is the fallback.
    transformer_storage_dtype: str | None = None
    # Quantize the transformer's linear layers to FP8 and multiply in FP8 (torchao float8 dynamic activation and
    # weight) on GPUs with FP8 tensor cores (model/precision.py).
    fp8_compute: bool = False
    # Keep the text encoder's linear weights in FP8 (torchao float8 weight-only) on the same GPUs.
    text_encoder_fp8: bool = False


NO_SPEEDUPS = SpeedOptions()

# Bounds of a per-request adapter scale: 0 is the base model, 2 is as far as any published card goes.
LORA_SCALE_RANGE = (0.0, 2.0)


@dataclass(frozen=True)
class AudioSpec:
    """The sound a model makes beside its frames."""

    sample_rate: int  # of the vocoder's output, in Hz
    channels: int


@dataclass(frozen=True)
class LoraSpec:
    """An adapter a model entry offers per request (camera moves, styles), loaded once at start with diffusers'
    own `load_lora_weights` and switched per request with `set_adapters`."""

    name: str  # what API callers pass as `lora`
    label: str
    # Hub repo and file, or a folder built by code (tiny_builder) for the previews.
    repo_id: str | None
    weight_name: str
    default_scale: float = 1.0
    # Words the adapter was trained to respond to; put in front of the prompt when it lacks them.
    trigger_words: str = ""
    tiny_builder: str | None = None
    source: str = ""


@dataclass(frozen=True)
class WeightSizes:
    """Parameters per pipeline component, for the memory plan (model/memory.py) and the weight move a fresh
    ZeroGPU worker pays. Bytes follow from the dtype the weights are loaded in (`bytes_in`)."""

    transformer: int
    text_encoder: int
    vae: int
    # Activations at the largest preset and longest clip, VAE decode included, in bytes: a planning allowance
    # (`python -m bench --gpu` reports the real peak as peak_gib; each entry says where its figure comes from).
    activation_bytes: int
    # Parameters in the linear layers' weights, which FP8 compute (transformer) and FP8 weights (text encoder)
    # quantize; the rest (norms, biases, embeddings) stays bf16. Only entries that use them set them.
    transformer_linear: int = 0
    text_encoder_linear: int = 0

    @property
    def parameters(self) -> int:
        return self.transformer + self.text_encoder + self.vae

    def bytes_in(self, dtype: str) -> int:
        return self.parameters * _BYTES_PER_PARAMETER[dtype]


_BYTES_PER_PARAMETER = {"bfloat16": 2, "float16": 2, "float32": 4, "float8_e4m3fn": 1}

QUALITIES = ("standard", "hd")


@dataclass(frozen=True)
class HdSpec:
    """How a model makes HD (`quality="hd"`): Lightricks' own two-stage recipe. The clip is rendered at the preset's
    size, its latents are doubled in width and height by a latent upsampler, and a short refine at the full size
    (`refine_sigmas`, re-noised to the first of them) puts the detail back; the sound's latents are carried through
    and refined with it. Most steps run on a quarter of the final pixels, which is why HD costs far less than
    rendering the large size directly."""

    # Where the upsampler lives, beside the pipeline's own components (loaded with from_pretrained(subfolder=...)).
    upsampler_subfolder: str
    refine_sigmas: tuple[float, ...]
    # Parameters of the upsampler, for the memory plan (0 for the tiny previews).
    upsampler_parameters: int
    # Activations of the full-size refine and its decode, the largest preset and longest clip, in bytes (see the
    # entry for where its figure comes from).
    activation_bytes: int
    source: str = ""
    scale: int = 2

    @property
    def refine_steps(self) -> int:
        return len(self.refine_sigmas)


@dataclass(frozen=True)
class SmoothSpec:
    """How a model makes smooth motion (`smooth=True`): twice the frames at twice the frame rate, for the same length.
    LTX-2.5's recipe in diffusers (model/stages.py): one LTX2DFRPipeline pass at the model's frame rate, then one
    LTX2DFRTemporalRefinePipeline round that doubles the frames with the temporal upsampler and refines them
    (`refine_steps` ancestral steps), the sound carried through."""

    # Where the temporal upsampler lives, beside the pipeline's own components.
    upsampler_subfolder: str
    # TEMPORAL_ROUND_DISTILLED_SIGMA_VALUES' length (diffusers pipelines/ltx2/utils.py).
    refine_steps: int
    # Parameters of the temporal upsampler, for the memory plan (0 for the tiny previews).
    upsampler_parameters: int
    # Activations of the round over twice the frames, and its decode, in bytes (see the entry).
    activation_bytes: int
    source: str = ""


@dataclass(frozen=True)
class PromptEnhancementSpec:
    """How a model rewrites a short prompt into the detailed one it was trained on (`enhance_prompt=True`), inside
    the GPU call, with diffusers' `LTX2Pipeline.enhance_prompt`. LTX-2.0 and 2.3 use their own Gemma 3 text encoder
    for it and need a system prompt from the caller; the pipeline's default one is LTX-2.5's, written for its
    dedicated enhancer."""

    # Names of the system prompts in diffusers.pipelines.ltx2.utils, for text-to-video and for image-to-video.
    system_prompt: str
    image_system_prompt: str
    # GPU seconds the rewrite adds to a call (the ZeroGPU estimate), on one whole H200; see the entry's source.
    gpu_seconds: float
    # The most tokens the rewrite may write; None: diffusers' own default for the enhancer (512 for Gemma 3).
    max_new_tokens: int | None = None
    source: str = ""


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    family: str  # "wan" or "ltx": decides call arguments the pipelines do not share
    pipeline_class: str  # text-to-video, the class the model is loaded with
    image_pipeline_class: str | None  # image-to-video, built from the loaded components; None: text only
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
    # Full-size parameter counts; None for the tiny previews (a few hundred kilobytes, built by code).
    weights: WeightSizes | None = None
    speed: SpeedOptions = NO_SPEEDUPS
    # The sound the model makes with its frames; None: silent video.
    audio: AudioSpec | None = None
    # Adapters offered per request.
    loras: tuple[LoraSpec, ...] = ()
    # Pipeline config flags that identify the model (a local folder is matched on them) and that the
    # image-to-video pipeline must share.
    pipeline_config: dict = field(default_factory=dict)
    extra_call_kwargs: dict = field(default_factory=dict)
    # Timesteps a distilled model was trained for, used when the request's steps equal their number.
    distilled_timesteps: tuple[float, ...] | None = None
    # Sigmas a distilled model was trained for (LTX-2 takes sigmas, not timesteps), same rule.
    distilled_sigmas: tuple[float, ...] | None = None
    # x264 preset for the MP4. Real models make smooth video that "veryfast" packs well; the tiny previews make
    # noise, on which x264's search is wasted work (3x slower than "ultrafast" for the same frames).
    encoder_preset: str = "veryfast"
    # Two-stage HD (`quality="hd"`); None: standard quality only.
    hd: HdSpec | None = None
    # Prompt enhancement (`enhance_prompt=True`); None: the model has no enhancer Reel loads.
    prompt_enhancement: PromptEnhancementSpec | None = None
    # A duration head picks each clip's length from its prompt (`seconds="auto"`): LTX-2.5 and later.
    auto_length: bool = False
    # Smooth motion (`smooth=True`, twice the frame rate); None: the model's own frame rate only.
    smooth: SmoothSpec | None = None

    @property
    def is_preview(self) -> bool:
        """Random-weight models make coloured noise: the UI says so."""
        return self.tiny_builder is not None

    @property
    def supports_image(self) -> bool:
        return self.image_pipeline_class is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def qualities(self) -> tuple[str, ...]:
        return QUALITIES if self.hd else QUALITIES[:1]

    def lora(self, name: str) -> LoraSpec | None:
        return next((lora for lora in self.loras if lora.name == name), None)


    @property
    def max_frames(self) -> int:
        return int(self.max_seconds * self.fps) // self.frame_step * self.frame_step + 1
