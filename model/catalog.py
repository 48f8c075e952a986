"""The model catalog: one plain-data entry per model Reel can serve.

Everything the engine, the UI, the fast path and the ZeroGPU duration estimate need to know about a model lives
here, so adding a model means adding an entry, not editing code paths.

Where each real entry's repo id and pipeline classes were checked (diffusers 0.42.1):
- Wan 2.2 TI2V 5B: listed in diffusers' docs/source/en/api/pipelines/wan.md ("Wan 2.2 TI2V 5B",
  Wan-AI/Wan2.2-TI2V-5B-Diffusers). Its model_index.json names WanPipeline with `expand_timesteps: true`.
  Image-to-video is WanImageToVideoPipeline with `expand_timesteps=True`: in
  diffusers/pipelines/wan/pipeline_wan_i2v.py that flag encodes only the first frame and masks its timesteps
  ("wan 2.2 5b i2v use first_frame_mask"); diffusers' tests/pipelines/wan/test_wan_22_image_to_video.py
  (Wan225BImageToVideoPipelineFastTests) drives exactly that combination (z_dim 48 VAE, 48-channel transformer).
- LTX-Video 0.9.8 13B distilled: docs/source/en/api/pipelines/ltx_video.md loads
  "Lightricks/LTX-Video-0.9.8-13B-distilled" with LTXConditionPipeline, which takes an optional `image`
  (pipelines/ltx/pipeline_ltx_condition.py, __call__), so one class does both text- and image-to-video. The same
  page says distilled LTX wants guidance_scale 1.0, 4 to 10 steps, and the custom timesteps used below; it lists
  no diffusers-format 2B distilled repo, so the 13B one is the fastest distilled LTX diffusers documents.
- Wan 2.1 T2V 1.3B: docs/source/en/api/pipelines/wan.md and the WanPipeline example in
  pipelines/wan/pipeline_wan.py ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers"). Text-to-video only.
- LTX-2 19B distilled (video with sound): docs/source/en/api/pipelines/ltx2.md, "Distilled checkpoint
  generation", loads "rootonchair/LTX-2-19b-distilled" (a community conversion of Lightricks'
  ltx-2-19b-distilled.safetensors; Lightricks' own diffusers repo, Lightricks/LTX-2, holds the dev transformer)
  with LTX2Pipeline, 8 steps on DISTILLED_SIGMA_VALUES (pipelines/ltx2/utils.py), guidance 1.0, 24 fps, 768x512.
  LTX2ConditionPipeline (pipelines/ltx2/pipeline_ltx2_condition.py) shares its components and takes images and
  videos as conditions at any frame: image-to-video, storyboard continuation and keyframes.
No distillation LoRA is listed: none published for these exact checkpoints could be verified (the lightx2v
LoRAs diffusers' Wan page points to are for the 14B models). The LoRA step stays in the fast path for entries
that set one. Per-request adapters (`loras`) are a separate thing: see LoraSpec.
"""

from __future__ import annotations

import dataclasses

from .spec import (  # noqa: F401 (the entry types, re-exported: callers import them from here)
    RESOLUTION_NAMES,
    LORA_SCALE_RANGE,
    NO_SPEEDUPS,
    QUALITIES,
    AudioSpec,
    GpuCost,
    HdSpec,
    LoraSpec,
    ModelSpec,
    PromptEnhancementSpec,
    SmoothSpec,
    SpeedOptions,
    WeightSizes,
)


def _entries() -> tuple[ModelSpec, ...]:
    wan22_presets = {"landscape": (1280, 704), "portrait": (704, 1280), "square": (960, 960)}
    ltx_presets = {"landscape": (768, 512), "portrait": (512, 768), "square": (640, 640)}
    wan21_presets = {"landscape": (832, 480), "portrait": (480, 832), "square": (624, 624)}
    # LTX 0.9.x distilled, per diffusers' ltx_video.md (first pass before upscaling); decode settings from the
    # same page, for the timestep-aware VAE.
    ltx_distilled_timesteps = (1000.0, 993.0, 987.0, 981.0, 975.0, 909.0, 725.0, 0.03)
    ltx_call = {"decode_timestep": 0.05, "decode_noise_scale": 0.025, "image_cond_noise_scale": 0.0}
    # Parameter counts: counted on the meta device from the public configs in bench/full_size_wan.py and
    # bench/full_size_ltx.py (tests/test_full_size_configs.py checks they still agree). Wan 2.2 and Wan 2.1 each
    # load their own umT5-XXL copy from their own repo, so each counts its own.
    umt5_xxl_encoder = 5_680_910_336
    gb = 1_000_000_000
    tiny_cost = GpuCost(
        overhead_seconds=5.0, seconds_per_step_per_megapixel_frame=0.001, seconds_per_megapixel_frame=0.01
    )
    # LTX-2 distilled: diffusers' pipelines/ltx2/utils.py DISTILLED_SIGMA_VALUES, 8 steps, guidance 1.0 (ltx2.md).
    # In diffusers 0.42.1 LTX2Pipeline.__call__ defaults to audio guidance 7, STG 1 and modality guidance 3, each an
    # extra transformer pass per step; a distilled model runs unguided, so they are switched off (audio guidance
    # None follows the video's).
    ltx2_distilled_sigmas = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875)
    ltx2_call = {
        "audio_guidance_scale": None, "stg_scale": 0.0, "audio_stg_scale": 0.0, "modality_scale": 1.0,
        "audio_modality_scale": 1.0, "guidance_rescale": 0.0, "audio_guidance_rescale": 0.0,
    }
    # The vocoder's output rate: scripts/convert_ltx2_to_diffusers.py (output_sampling_rate 24000) and the
    # LTX2Pipeline docstring ("should be 24000"); stereo (the vocoder's out channels).
    ltx2_audio = AudioSpec(sample_rate=24000, channels=2)
    ltx2_presets = {"landscape": (768, 512), "portrait": (512, 768), "square": (640, 640)}
    # LTX-2.0's estimate (its entry says where it comes from and what was measured since).
    ltx2_gpu_cost = GpuCost(
        overhead_seconds=10.0, seconds_per_step_per_megapixel_frame=0.025, seconds_per_megapixel_frame=0.07
    )
    # Two-stage HD as diffusers' ltx2.md "Distilled checkpoint generation" runs it on rootonchair/LTX-2-19b-distilled:
    # the preset's size, then LTX2LatentUpsamplePipeline with the repo's `latent_upsampler` (x2 in width and height),
    # then 3 refine steps on STAGE_2_DISTILLED_SIGMA_VALUES (pipelines/ltx2/utils.py), re-noised to the first.
    ltx2_refine_sigmas = (0.909375, 0.725, 0.421875)
    ltx2_hd_source = "diffusers docs/source/en/api/pipelines/ltx2.md, Distilled checkpoint generation"
    # LTX-2.3 and 2.5: the vocoder with bandwidth extension makes 48 kHz stereo from the 16 kHz audio VAE
    # (bench/full_size_ltx23.py, LTX2VocoderWithBWE). Landscape is Lightricks' first-stage default (768x512, LTX-2
    # PipelineParams); portrait is 9:16 (576x1024, LTX-Desktop's 540p vertical preset for 2.3 and 2.5); no
    # first-party square size was found, so Reel's 640x640 stays.
    ltx23_audio = AudioSpec(sample_rate=48000, channels=2)
    ltx23_presets = {"landscape": (768, 512), "portrait": (576, 1024), "square": (640, 640)}
    # 2.3 and 2.5 keep 2.0's FP8 plan; no ahead-of-time graphs: they are checked for 2.0's transformer only
    # (model/aot.py), so these run eagerly.
    ltx23_speed = SpeedOptions(
        fp8_compute=True, text_encoder_fp8=True, transformer_storage_dtype="float8_e4m3fn",
        vae_tiling_min_pixels=768 * 512,
    )
    ltx23_hd = HdSpec(
        upsampler_subfolder="latent_upsampler",
        refine_sigmas=ltx2_refine_sigmas,
        # The spatial x2 upsampler published for 2.3 and 2.5 (bench/full_size_ltx23.py, LTX2LatentUpsamplerModel
        # at 2.0's dimensions). diffusers' ltx2.md says the 2.5 repo ships it in latent_upsampler/; for 2.3 that is
        # not verified here: if the folder is missing, the model serves standard quality with a warning
        # (model/loading.py).
        upsampler_parameters=497_867_904,
        activation_bytes=20 * gb,  # as LTX-2.0's: the same refine at the same size
        source=ltx2_hd_source,
    )
    # Prompt enhancement as LTX-2.0 and 2.3 do it: their own Gemma 3 text encoder rewrites the prompt with the system
    # prompts diffusers' pipelines/ltx2/utils.py carries for them (T2V_/I2V_DEFAULT_SYSTEM_PROMPT), up to 512 new
    # tokens sampled at temperature 0.7 (GEMMA3_PROMPT_ENHANCEMENT_CONFIG). Its GPU time is not measured: 30 s assumes
    # the 512 tokens at about 20 a second, a 12B model decoding token by token without compilation.
    ltx2_enhancement = PromptEnhancementSpec(
        system_prompt="T2V_DEFAULT_SYSTEM_PROMPT", image_system_prompt="I2V_DEFAULT_SYSTEM_PROMPT", gpu_seconds=30.0,
        source="diffusers pipelines/ltx2/pipeline_ltx2.py LTX2Pipeline.enhance_prompt",
    )
    # The tiny Gemma 3 writes noise whatever its length: 48 tokens keep a preview's rewrite to a CPU second or two.
    tiny_enhancement = dataclasses.replace(ltx2_enhancement, gpu_seconds=1.0, max_new_tokens=48)
    # Smooth motion as diffusers' LTX-2.5 docs compose it (pipelines/ltx2/pipeline_ltx2_dfr_temporal_refine.py): a DFR
    # pass, then one temporal round of 4 steps (TEMPORAL_ROUND_DISTILLED_SIGMA_VALUES). The temporal x2 upsampler's
    # 130,968,192 parameters are counted on the meta device (bench/full_size_ltx25.py). diffusers' own example loads it
    # from "path/to/converted/temporal_latent_upsampler": that the repo ships it there is not verified here; without the
    # folder the model serves its own frame rate only, with a warning. Not measured: the round's activations are taken
    # as twice the standard clip's 5 GB allowance, since it runs over twice the frames.
    ltx25_smooth = SmoothSpec(
        upsampler_subfolder="temporal_latent_upsampler", refine_steps=4, upsampler_parameters=130_968_192,
        activation_bytes=10 * gb, source="diffusers pipelines/ltx2/pipeline_ltx2_dfr_temporal_refine.py",
    )
    tiny_smooth = dataclasses.replace(ltx25_smooth, upsampler_parameters=0, activation_bytes=0)
    # The tiny previews' upsampler is built by code beside their pipelines (model/tiny_ltx2.py), so HD runs its real
    # two stages on CPU.
    tiny_hd = HdSpec(
        upsampler_subfolder="latent_upsampler", refine_sigmas=ltx2_refine_sigmas, upsampler_parameters=0,
        activation_bytes=0, source=ltx2_hd_source,
    )
    # What the three tiny LTX-2 previews (2.0, 2.3, 2.5) share: the real classes, the real VAE grid and frame rate,
    # CPU-sized step and length ranges, the distilled call, and HD through the tiny upsampler.
    tiny_ltx2_entry = dict(
        family="ltx2", pipeline_class="LTX2Pipeline", image_pipeline_class="LTX2ConditionPipeline", repo_id=None,
        encoder_preset="ultrafast", torch_dtype="float32", size_multiple=32, frame_step=8, fps=24,
        default_preset="landscape", min_steps=1, max_steps=8, default_steps=8, default_guidance=1.0,
        default_seconds=3.0, max_seconds=5.0, gpu_cost=tiny_cost, extra_call_kwargs=ltx2_call,
        distilled_sigmas=ltx2_distilled_sigmas, hd=tiny_hd,
    )
    # Camera-control LoRAs Lightricks publishes for LTX-2 19B (Lightricks/LTX-2 README, "LoRAs"; each card loads
    # its file with scale 1.0 and names no trigger words). The cards show them on the dev pipeline; on the distilled
    # checkpoint they are not documented either way.
    camera_moves = ("dolly-in", "dolly-out", "dolly-left", "dolly-right", "jib-up", "jib-down", "static")
    ltx2_camera_loras = tuple(
        LoraSpec(
            name=move,
            label=f"Camera: {move.replace('-', ' ')}",
            repo_id=f"Lightricks/LTX-2-19b-LoRA-Camera-Control-{move.title()}",
            weight_name=f"ltx-2-19b-lora-camera-control-{move}.safetensors",
            default_scale=1.0,
            source="Lightricks/LTX-2 README, LoRAs",
        )
        for move in camera_moves
    )
    return (
        ModelSpec(
            key="ltx-2-distilled",
            label="LTX-2 19B distilled (video with sound, fast, 24 fps)",
            family="ltx2",
            pipeline_class="LTX2Pipeline",
            image_pipeline_class="LTX2ConditionPipeline",
            repo_id="rootonchair/LTX-2-19b-distilled",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,  # ValueError otherwise (pipeline_ltx2.py check_inputs)
            frame_step=8,  # the VAE's causal 8k+1 grid; other counts are silently floored by the pipeline
            fps=24,
            presets=ltx2_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=8,
            default_steps=8,
            default_guidance=1.0,
            default_seconds=5.0,
            max_seconds=5.0,
            # Estimate: 0.75 s per step at 768x512x121 on an H100 (sglang PR #23137, not diffusers) scaled to an
            # H200, plus about 20% for upcasting the FP8-stored weights per layer. Measured since (`python -m bench
            # --gpu`, H100 80GB, full size, random weights, FP8 storage, 2026-11-27): 0.58-0.66 s per step, 5.8-6.6 s
            # for the default clip against 24.3 s estimated there, so this asks for more than needed; kept.
            gpu_cost=ltx2_gpu_cost,
            # Counted on the meta device from the configs in bench/full_size_ltx2.py. The text encoder row is
            # Gemma 3 12B (vision tower included, as Gemma3ForConditionalGeneration loads it) plus the text
            # connectors; the VAE row is the video VAE, the audio VAE and the vocoder. The linear rows count the
            # nn.Linear weights FP8 quantizes: the transformer's, and Gemma's less its lm_head (tied to the
            # embedding table, which stays bf16); the connectors stay bf16 (tests/test_full_size_configs.py).
            # Memory (model/memory.py, docs/deploying.md): with FP8 compute and FP8 text-encoder weights (sm 8.9 and
            # up) 18.9 + 16.1 + 2.7 = 37.6 GB of weights, + 5 GB activations + 3 GB runtime = 45.6 GB: fits ZeroGPU
            # `large` (45.9 GB usable of 51.0) at 1x quota, and 37.6 GB stays under spaces' 45.1 GB xlarge
            # threshold. With FP8 storage only (A100): 48.8 GB of weights; all bf16: 67.7 GB.
            weights=WeightSizes(
                transformer=18_876_174_592,
                text_encoder=12_187_325_040 + 1_431_475_200,
                vae=1_222_479_601 + 53_248_146 + 55_592_802,
                # Measured (`python -m bench --gpu`, H100 80GB, full size, random weights, FP8 storage, default clip
                # 768x512x121, 2026-11-27): peak 49.5 GiB over 45.6 GiB of weights = 4.2 GB; planned with 20% more.
                activation_bytes=5 * gb,
                transformer_linear=18_866_503_680,
                text_encoder_linear=11_169_460_224,
            ),
            # On ZeroGPU the FP8 transformer is compiled ahead of time, one graph per preset (model/aot.py); a
            # picture's own size, image-conditioned calls and calls with a camera adapter on run eagerly.
            speed=SpeedOptions(
                fp8_compute=True,
                text_encoder_fp8=True,
                transformer_storage_dtype="float8_e4m3fn",
                aot_compile=True,
                vae_tiling_min_pixels=768 * 512,
            ),
            audio=ltx2_audio,
            loras=ltx2_camera_loras,
            extra_call_kwargs=ltx2_call,
            distilled_sigmas=ltx2_distilled_sigmas,
            hd=HdSpec(
                upsampler_subfolder="latent_upsampler",
                refine_sigmas=ltx2_refine_sigmas,
                # LTX2LatentUpsamplerModel(in_channels=128, mid_channels=1024, num_blocks_per_stage=4, dims=3),
                # the spatial x2 upsampler's dimensions, counted on the meta device.
                upsampler_parameters=497_867_904,
                # Not measured: the standard clip's measured 4.2 GB of activations (above) scaled by the refine's
                # four times as many latent tokens (1536x1024x121), plus 20%. The decode is tiled at that size.
                activation_bytes=20 * gb,
                source=ltx2_hd_source,
            ),
            prompt_enhancement=ltx2_enhancement,
        ),
        ModelSpec(
            key="ltx-2.3-distilled",
            label="LTX-2.3 22B distilled (video with 48 kHz sound, 24 fps)",
            family="ltx2",
            pipeline_class="LTX2Pipeline",
            image_pipeline_class="LTX2ConditionPipeline",
            repo_id="diffusers/LTX-2.3-Distilled-Diffusers",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,
            frame_step=8,
            fps=24,
            presets=ltx23_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=8,
            default_steps=8,
            default_guidance=1.0,
            default_seconds=5.0,
            max_seconds=5.0,
            # Not measured: LTX-2.0's figures (above), whose transformer has the same width and depth; the gated
            # attention adds one small projection per attention.
            gpu_cost=ltx2_gpu_cost,
            # Counted on the meta device from bench/full_size_ltx23.py. The text encoder row is Gemma 3 12B plus the
            # text connectors, which grew to 3.17B in 2.3 (the "22B" of the name is the transformer and these); the
            # VAE row is the new video VAE, the audio VAE and the vocoder with bandwidth extension.
            # Memory (model/memory.py): FP8 compute and FP8 Gemma weights give 19.0 + 19.5 + 1.8 = 40.4 GB of weights
            # (the connectors stay bf16: 6.3 GB), under spaces' 45.1 GB threshold, + 5 GB activations + 3 GB
            # runtime = 48.4 GB: more than `large` has usable (45.9 GB), so every call runs on `xlarge` at twice the
            # quota. This is why LTX-2.0 stays the default (README, "Which model").
            weights=WeightSizes(
                transformer=18_988_838_144,
                text_encoder=12_187_325_040 + 3_172_227_584,
                vae=726_105_969 + 53_248_146 + 128_537_448,
                activation_bytes=5 * gb,  # LTX-2.0's allowance: same transformer, same default clip
                transformer_linear=18_977_652_736,
                text_encoder_linear=11_169_460_224,
            ),
            speed=ltx23_speed,
            audio=ltx23_audio,
            extra_call_kwargs=ltx2_call,
            distilled_sigmas=ltx2_distilled_sigmas,
            hd=ltx23_hd,
            prompt_enhancement=ltx2_enhancement,
        ),
        ModelSpec(
            key="ltx-2.5-distilled",
            label="LTX-2.5 22B distilled (video with 48 kHz sound, 24 fps; gated: needs HF_TOKEN)",
            family="ltx2",
            pipeline_class="LTX2Pipeline",
            image_pipeline_class="LTX2ConditionPipeline",
            repo_id="Lightricks/LTX-2.5-Diffusers",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,
            frame_step=8,
            fps=24,
            presets=ltx23_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=8,
            default_steps=8,
            default_guidance=1.0,
            default_seconds=5.0,
            max_seconds=5.0,
            gpu_cost=ltx2_gpu_cost,  # not measured: as LTX-2.3's
            # Counted on the meta device from bench/full_size_ltx25.py: the transformer row includes the duration
            # head (1.9M); the text encoder row is Gemma 4 12B plus the connectors. The dedicated prompt enhancer
            # (Gemma 4 E2B, 5.1B) and the diffusion decoder are not loaded by Reel and not counted.
            # Memory: 19.0 + 19.3 + 1.8 = 40.1 GB of weights + 5 + 3 = 48.1 GB: `xlarge`, twice the quota.
            weights=WeightSizes(
                transformer=18_987_859_200 + 1_903_361,
                text_encoder=11_959_730_176 + 3_172_227_584,
                vae=726_105_969 + 53_248_146 + 128_537_448,
                activation_bytes=5 * gb,
                transformer_linear=18_977_652_736,
                text_encoder_linear=10_943_692_800,
            ),
            speed=ltx23_speed,
            audio=ltx23_audio,
            extra_call_kwargs=ltx2_call,
            distilled_sigmas=ltx2_distilled_sigmas,
            hd=ltx23_hd,
            # The duration head (pipelines/ltx2/duration_head.py, in the repo's model_index) for `seconds="auto"`.
            auto_length=True,
            smooth=ltx25_smooth,
        ),
        ModelSpec(
            key="wan2.2-ti2v-5b",
            label="Wan 2.2 TI2V 5B (720p, 24 fps)",
            family="wan",
            pipeline_class="WanPipeline",
            image_pipeline_class="WanImageToVideoPipeline",
            repo_id="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,  # VAE 16x spatial, transformer patch 2
            frame_step=4,
            fps=24,
            presets=wan22_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=50,
            # 16 steps and 3 s: the most that fits one call on ZeroGPU `large` (120 s as spaces schedules it, after
            # its 1.5 factor) by the estimate below; 30 steps, the default on the H200 slice before, would need
            # about 174 s there (tests/test_gpu_time.py).
            default_steps=16,
            default_guidance=5.0,
            default_seconds=3.0,
            max_seconds=5.0,
            # Estimates from the published ~9 min for 5 s of 720p on one consumer GPU, scaled to a whole H200.
            # Measured (`python -m bench --gpu`, H100 80GB, full size, random weights, 2026-11-27, default clip
            # 1280x704x73, 30 steps, every pass run in full): denoising 39.3 s = 0.0179 per step per megapixel-frame
            # in H200 terms (x 0.9, model/hardware.py), under the 0.02 below; the tiled decode 9.6 s + 0.6 s
            # = 0.139 per megapixel-frame, over the 0.1 this said before, so now 0.14, the measured figure rounded
            # up (with the weight move the default clip then asks 119.5 s of the slice, just under the 120 s cap:
            # a thin margin, 12% on the denoising only, see docs/performance.md).
            gpu_cost=GpuCost(
                overhead_seconds=10.0, seconds_per_step_per_megapixel_frame=0.02, seconds_per_megapixel_frame=0.14
            ),
            weights=WeightSizes(
                transformer=4_999_787_712,
                text_encoder=umt5_xxl_encoder,
                vae=704_688_668,
                # 27,280 latent tokens of width 3072 through 30 blocks, then a tiled decode of 121 frames at 720p.
                activation_bytes=8 * gb,
            ),
            speed=SpeedOptions(
                cache="first_block", cache_threshold=0.05, aot_compile=True, vae_tiling_min_pixels=1280 * 704
            ),
            pipeline_config={"expand_timesteps": True},
        ),
        ModelSpec(
            key="ltx-video-0.9.8-distilled",
            label="LTX-Video 0.9.8 13B distilled (fast, 24 fps)",
            family="ltx",
            pipeline_class="LTXConditionPipeline",
            image_pipeline_class="LTXConditionPipeline",
            repo_id="Lightricks/LTX-Video-0.9.8-13B-distilled",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=32,
            frame_step=8,
            fps=24,
            presets=ltx_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=10,
            default_steps=8,
            default_guidance=1.0,  # guidance-distilled: no classifier-free guidance
            default_seconds=5.0,
            max_seconds=5.0,
            # Estimate: 13B transformer, one pass per step (no CFG), cheap 32x VAE. Measured since (`python -m bench
            # --gpu`, H100 80GB, full size, random weights, 2026-11-27): 3.7 s for the default clip against 27.6 s
            # estimated there (0.39 s per step), so this asks for more than needed; kept.
            gpu_cost=GpuCost(
                overhead_seconds=8.0, seconds_per_step_per_megapixel_frame=0.04, seconds_per_megapixel_frame=0.05
            ),
            # No cache hook at 8 steps (nothing to skip safely); no AoT: with an image the transformer gets
            # per-token timesteps, without one a per-sample timestep, so one exported graph cannot serve both.
            weights=WeightSizes(
                transformer=13_042_569_344,
                text_encoder=4_762_310_656,  # T5 v1.1 XXL encoder
                vae=1_246_913_522,
                # 6,144 latent tokens at 768x512x121 (32x spatial, 8x temporal), then a tiled decode.
                activation_bytes=6 * gb,
            ),
            speed=SpeedOptions(vae_tiling_min_pixels=768 * 512),
            extra_call_kwargs=ltx_call,
            distilled_timesteps=ltx_distilled_timesteps,
        ),
        ModelSpec(
            key="wan2.1-t2v-1.3b",
            label="Wan 2.1 T2V 1.3B (light, 480p, 16 fps)",
            family="wan",
            pipeline_class="WanPipeline",
            image_pipeline_class=None,
            repo_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
            tiny_builder=None,
            torch_dtype="bfloat16",
            size_multiple=16,  # VAE 8x spatial, transformer patch 2
            frame_step=4,
            fps=16,
            presets=wan21_presets,
            default_preset="landscape",
            min_steps=4,
            max_steps=50,
            # 20 steps: the most a 5 s clip fits in one call on ZeroGPU `large` (120 s scheduled) by the estimate.
            default_steps=20,
            default_guidance=5.0,
            default_seconds=5.0,
            max_seconds=5.0,
            # First estimated from the published ~4 min for 5 s of 480p on an RTX 4090 as 0.03 per step. Measured
            # (`python -m bench --gpu`, H100 80GB, full size, random weights, 2026-11-27, default clip 832x480x81,
            # 30 steps, every pass in full): denoising 39.3 s = 0.0364 per step per megapixel-frame in H200 terms
            # (x 0.9), more than 0.03 asked for, so a call could be stopped short; now the measured figure + 25%.
            # The decode (2.5 s with the rest, 0.069 in H200 terms) stays under 0.1.
            gpu_cost=GpuCost(
                overhead_seconds=8.0, seconds_per_step_per_megapixel_frame=0.045, seconds_per_megapixel_frame=0.1
            ),
            weights=WeightSizes(
                transformer=1_418_996_800,
                text_encoder=umt5_xxl_encoder,
                vae=126_892_531,
                # 32,760 latent tokens at 832x480x81 of width 1536, then an untiled decode. Measured (`python -m
                # bench --gpu`, H100, 2026-11-27): peak 18.5 GiB over 13.5 GiB of weights = 5.4 GB, over the 4 GB
                # this said before; now 6.
                activation_bytes=6 * gb,
            ),
            speed=SpeedOptions(cache="first_block", cache_threshold=0.05, aot_compile=True),
            pipeline_config={"expand_timesteps": False},
        ),
        ModelSpec(
            key="tiny-ltx2",
            **tiny_ltx2_entry,
            label="Tiny LTX-2 preview with sound (random weights, CPU)",
            tiny_builder="tiny-ltx2",
            presets={"landscape": (512, 320), "portrait": (320, 512), "square": (384, 384)},
            audio=ltx2_audio,
            # The real entry's first two camera moves by name, as tiny random adapters built by code, so the whole
            # adapter path (load from a folder, switch per request, manifest hash) runs on CPU.
            loras=tuple(
                LoraSpec(
                    name=move, label=f"Camera: {move.replace('-', ' ')} (random preview adapter)", repo_id=None,
                    weight_name="pytorch_lora_weights.safetensors", tiny_builder=f"tiny-ltx2-{move}",
                    source="built by code (model/tiny_lora.py)",
                )
                for move in ("dolly-in", "jib-up")
            ),
            prompt_enhancement=tiny_enhancement,
        ),
        ModelSpec(
            key="tiny-ltx2.3",
            **tiny_ltx2_entry,
            label="Tiny LTX-2.3 preview with 48 kHz sound (random weights, CPU)",
            # 2.3's gated attention, per-modality connectors and 48 kHz vocoder with bandwidth extension, tiny
            # (model/tiny_ltx23.py); the HD upsampler as tiny-ltx2's.
            tiny_builder="tiny-ltx2.3",
            presets={"landscape": (512, 320), "portrait": (320, 576), "square": (384, 384)},
            audio=ltx23_audio,
            prompt_enhancement=tiny_enhancement,
        ),
        ModelSpec(
            key="tiny-ltx2.5",
            **tiny_ltx2_entry,
            label="Tiny LTX-2.5 preview with 48 kHz sound (random weights, CPU)",
            # 2.3's tiny architecture with 2.5's Gemma 4 text encoder, transformer flags and duration head
            # (model/tiny_ltx25.py); the HD upsampler as tiny-ltx2's.
            tiny_builder="tiny-ltx2.5",
            presets={"landscape": (512, 320), "portrait": (320, 576), "square": (384, 384)},
            audio=ltx23_audio,
            auto_length=True,  # its tiny duration head (model/tiny_ltx25.py)
            smooth=tiny_smooth,
        ),
        ModelSpec(
            key="tiny-ltx",
            label="Tiny LTX-Video preview (random weights, CPU)",
            family="ltx",
            pipeline_class="LTXConditionPipeline",
            image_pipeline_class="LTXConditionPipeline",
            repo_id=None,
            tiny_builder="tiny-ltx",
            encoder_preset="ultrafast",
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
            default_seconds=3.0,  # 73 frames: long enough that the bench's bare call passes 1 s on two cores
            max_seconds=5.0,
            gpu_cost=tiny_cost,
            extra_call_kwargs=ltx_call,
        ),
        ModelSpec(
            key="tiny-wan",
            label="Tiny Wan 2.2 TI2V preview (random weights, CPU)",
            family="wan",
            pipeline_class="WanPipeline",
            image_pipeline_class="WanImageToVideoPipeline",
            repo_id=None,
            tiny_builder="tiny-wan",
            encoder_preset="ultrafast",
            torch_dtype="float32",
            size_multiple=32,
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
            gpu_cost=tiny_cost,
            pipeline_config={"expand_timesteps": True},
        ),
        ModelSpec(
            key="tiny-wan-t2v",
            label="Tiny Wan 2.1 text-to-video preview (random weights, CPU)",
            family="wan",
            pipeline_class="WanPipeline",
            image_pipeline_class=None,
            repo_id=None,
            tiny_builder="tiny-wan-t2v",
            encoder_preset="ultrafast",
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
            gpu_cost=tiny_cost,
            pipeline_config={"expand_timesteps": False},
        ),
    )


CATALOG: dict[str, ModelSpec] = {spec.key: spec for spec in _entries()}

# The fastest model that fits ZeroGPU's default `large` size at 1x quota with its fast path, and it makes sound (see
# its entry's memory arithmetic; tests/test_memory_plan.py); the CPU preview is of the same family.
DEFAULT_GPU_MODEL = "ltx-2-distilled"
DEFAULT_CPU_MODEL = "tiny-ltx2"


def image_capable_labels(specs) -> list[str]:
    """Labels of the given specs that can animate an image, in order."""
    return [spec.label for spec in specs if spec.supports_image]
