"""LTX-2's recipes that take more than one pipeline call, each on the engine's already-loaded modules.

HD (model/spec.py HdSpec): the clip at half its width and height, the latents doubled by the spatial upsampler, then a
short refine at full size. Smooth motion (SmoothSpec, LTX-2.5): one pass of diffusers' LTX2DFRPipeline, which renders
the clip on a canvas padded to whole keyframe segments with extra keyframe slots, then one LTX2DFRTemporalRefinePipeline
round, which doubles the frames and the frame rate with the temporal upsampler and carries the sound through. In both
the generator runs on from one stage to the next, so the same request gives the same frames.
"""

from __future__ import annotations

import inspect
from typing import Callable

from .catalog import ModelSpec
from .requests import GenerationRequest

# on_progress(fraction in [0, 1], phase description)
ProgressCallback = Callable[[float, str], None]

# Where each phase sits on the progress bar. Denoising dominates on real models; decoding is the long tail.
TEXT_PHASE_END = 0.05
DENOISE_PHASE_END = 0.85
ENCODE_PHASE_START = 0.95


def stage_fraction(done: int, total: int) -> float:
    return TEXT_PHASE_END + (DENOISE_PHASE_END - TEXT_PHASE_END) * done / total


def step_reporter(on_progress: ProgressCallback, first_step: int, total_steps: int):
    """The pipeline's step callback: progress over every denoising step of the request, `first_step` of them
    already done (a second stage follows the first on one bar)."""

    def report_step(pipeline, step_index, timestep, callback_kwargs):
        done = first_step + step_index + 1
        on_progress(stage_fraction(done, total_steps), f"Denoising step {done}/{total_steps}")
        if done == total_steps:
            on_progress(DENOISE_PHASE_END, "Decoding frames")
        return callback_kwargs

    return report_step


def build_upsample_pipeline(pipeline, upsampler):
    """HD's LTX2LatentUpsamplePipeline on the loaded VAE (used for its latent geometry only: latents in, latents
    out), or None for a model without an upsampler."""
    if upsampler is None:
        return None
    from diffusers import LTX2LatentUpsamplePipeline

    upsample = LTX2LatentUpsamplePipeline(vae=pipeline.vae, latent_upsampler=upsampler)
    upsample.set_progress_bar_config(disable=True)
    return upsample


def build_smooth_pipelines(pipeline, temporal_upsampler):
    """Smooth motion's (LTX2DFRPipeline, LTX2DFRTemporalRefinePipeline) on the loaded modules, or None for a model
    without a temporal upsampler. The temporal round needs diffusers' ancestral scheduler at its documented eta: the
    repo's flow-match scheduler would step deterministically and lose the round's detail."""
    if temporal_upsampler is None:
        return None
    from diffusers import LTX2DFRPipeline, LTX2DFRTemporalRefinePipeline, LTXEulerAncestralRFScheduler
    from diffusers.pipelines.ltx2.utils import TEMPORAL_ANCESTRAL_ETA

    modules = pipeline.components
    accepted = inspect.signature(LTX2DFRPipeline.__init__).parameters
    render = LTX2DFRPipeline(**{name: module for name, module in modules.items() if name in accepted})
    shared = ("vae", "audio_vae", "text_encoder", "tokenizer", "connectors", "transformer", "vocoder")
    double = LTX2DFRTemporalRefinePipeline(
        scheduler=LTXEulerAncestralRFScheduler(eta=TEMPORAL_ANCESTRAL_ETA), temporal_latent_upsampler=temporal_upsampler,
        **{name: modules[name] for name in shared},
    )
    for built in (render, double):
        built.set_progress_bar_config(disable=True)
    return render, double


def render_hd(pipeline, upsample_pipeline, upsampler, device, spec: ModelSpec, request: GenerationRequest,
              kwargs: dict, on_progress: ProgressCallback):
    """Lightricks' HD recipe: the request's steps at half its width and height, the latents doubled by the upsampler,
    then the short refine at full size with the sound's latents carried through."""
    hd = spec.hd
    first = dict(kwargs, width=request.width // hd.scale, height=request.height // hd.scale, output_type="latent",
                 return_dict=False)
    video_latents, audio_latents = pipeline(**first)
    on_progress(stage_fraction(request.steps, request.total_steps), "Upsampling to HD")
    upsampler.to(device)
    try:
        video_latents = upsample_pipeline(latents=video_latents, output_type="latent", return_dict=False)[0]
    finally:
        upsampler.to("cpu")  # out of GPU memory until the next HD call
    if request.auto_length:  # the length the first stage chose, not chosen again
        kwargs = dict(kwargs, num_frames=(video_latents.shape[2] - 1) * pipeline.vae_temporal_compression_ratio + 1)
    refine = list(hd.refine_sigmas)
    second = dict(
        kwargs, latents=video_latents, audio_latents=audio_latents, sigmas=refine, num_inference_steps=len(refine),
        noise_scale=refine[0], callback_on_step_end=step_reporter(on_progress, request.steps, request.total_steps),
    )
    return pipeline(**second)


def render_smooth(smooth_pipelines, temporal_upsampler, device, request: GenerationRequest, kwargs: dict,
                  on_progress: ProgressCallback):
    """Smooth motion: the clip at half the request's frame rate in one DFR pass, then the temporal round at the
    request's rate. Returns (frames tensor (1, F, 3, H, W) cut to the request's frames, the sound's waveform): the
    round doubles the whole padded canvas, whose tail past the clip is dropped (the sound is fitted to the frames
    later, as every clip's is)."""
    render, double = smooth_pipelines
    stage_frames = (request.num_frames - 1) // 2 + 1
    stage_rate = request.fps / 2
    accepted = inspect.signature(type(render).__call__).parameters
    first = {name: value for name, value in kwargs.items() if name in accepted}
    first.update(num_frames=stage_frames, frame_rate=stage_rate, output_type="latent", return_dict=True)
    stage = render(**first)
    on_progress(stage_fraction(request.steps, request.total_steps), "Doubling the frame rate")
    canvas_frames = (stage.frames.shape[2] - 1) * render.vae_temporal_compression_ratio + 1
    temporal_upsampler.to(device)
    try:
        doubled = double(
            prompt=kwargs["prompt"], latents=stage.frames, keyframes_latents=stage.keyframes,
            keyframe_positions=stage.keyframe_positions, audio_latents=stage.audio, width=request.width,
            height=request.height, num_frames=canvas_frames, frame_rate=stage_rate, generator=kwargs["generator"],
            output_type=kwargs["output_type"],
            callback_on_step_end=step_reporter(on_progress, request.steps, request.total_steps),
        )
    finally:
        temporal_upsampler.to("cpu")  # out of GPU memory until the next smooth call
    return doubled.frames[:, : request.num_frames], doubled.audio
