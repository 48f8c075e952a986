"""Prompt enhancement: a short prompt rewritten into the detailed kind LTX-2 was trained on, inside the GPU call.

LTX-2.0 and 2.3 rewrite with their own Gemma 3 text encoder (diffusers' `LTX2Pipeline.enhance_prompt`), so it costs
no extra weights. It needs a processor (Gemma 3's chat template, and its image processor for image-to-video); a repo
that ships none gets one built here from the loaded tokenizer and the text encoder's own vision config, so nothing is
downloaded for it. The rewrite is seeded with the request's seed: the same request gives the same words, and
`/reproduce` uses the recorded words without rewriting again, so it is frame-exact on any machine.
"""

from __future__ import annotations

import unicodedata

from .catalog import ModelSpec

# The longest enhanced prompt kept (and read back from a manifest). The enhancers write up to 512 new tokens
# (diffusers' GEMMA3_PROMPT_ENHANCEMENT_CONFIG), about 2,500 characters of English; a person's own prompt is held to
# 1,000 (model/requests.py MAX_PROMPT_CHARS).
MAX_ENHANCED_PROMPT_CHARS = 4000


def build_processor(pipeline):
    """The pipeline's processor, or one built from its tokenizer and Gemma 3 text encoder; None where the model
    cannot rewrite prompts here."""
    processor = getattr(pipeline, "processor", None)
    if processor is not None:
        return processor
    text_encoder = getattr(pipeline, "text_encoder", None)
    tokenizer = getattr(pipeline, "tokenizer", None)
    if type(text_encoder).__name__ != "Gemma3ForConditionalGeneration" or tokenizer is None:
        return None
    if getattr(tokenizer, "chat_template", None) is None or getattr(tokenizer, "boi_token", None) is None:
        return None
    from transformers import Gemma3ImageProcessorPil, Gemma3Processor

    config = text_encoder.config
    side = config.vision_config.image_size
    image_processor = Gemma3ImageProcessorPil(size={"height": side, "width": side})
    return Gemma3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_length=config.mm_tokens_per_image
    )


def readable(text: str) -> str:
    """The enhancer's words as a prompt: control characters out, runs of spaces as one, at most
    MAX_ENHANCED_PROMPT_CHARS. A random-weight preview writes noise; a real model writes prose that passes as is."""
    kept = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(kept.split())[:MAX_ENHANCED_PROMPT_CHARS]


def enhance_prompt(pipeline, spec: ModelSpec, prompt: str, seed: int, device, image=None) -> str:
    """`prompt` rewritten by the model's enhancer, the same for the same seed; the prompt itself when the enhancer
    writes nothing usable."""
    from diffusers.pipelines.ltx2 import utils as ltx2_utils

    enhancement = spec.prompt_enhancement
    name = enhancement.image_system_prompt if image is not None else enhancement.system_prompt
    written = pipeline.enhance_prompt(
        prompt=prompt, system_prompt=getattr(ltx2_utils, name), max_new_tokens=enhancement.max_new_tokens, seed=seed,
        device=device, image=image,
    )
    return readable(written[0]) or prompt
