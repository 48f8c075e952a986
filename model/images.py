"""Preparing a person's image as the first frame of a video: checked, converted, sized for the model.

The video takes the image's shape: about the pixel area of the chosen preset, each side snapped to the
model's size multiple, and the image is scaled to cover that size and centre-cropped to it exactly.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from PIL import Image, ImageOps

from .catalog import ModelSpec

MIN_IMAGE_SIDE = 16
MAX_IMAGE_ASPECT = 4.0
MAX_IMAGE_PIXELS = 50_000_000


class ImageProblem(ValueError):
    """An image Reel cannot use; the message is written for the person who sent it."""


@dataclass(frozen=True)
class PreparedImage:
    image: Image.Image  # RGB, exactly width x height
    width: int
    height: int
    source_width: int
    source_height: int
    sha256: str  # of the source image's RGB pixels, row by row

    def manifest_entry(self) -> dict:
        return {"width": self.source_width, "height": self.source_height, "sha256": self.sha256}


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels as a viewer shows them: EXIF rotation applied, transparency flattened onto white."""
    image = ImageOps.exif_transpose(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def pixel_sha256(rgb: Image.Image) -> str:
    return hashlib.sha256(rgb.tobytes()).hexdigest()


def check_image(image) -> None:
    if not isinstance(image, Image.Image):
        raise ImageProblem("The image could not be read. Upload a PNG, JPEG or WebP picture.")
    width, height = image.size
    if min(width, height) < MIN_IMAGE_SIDE:
        raise ImageProblem(
            f"The image is {width}x{height} pixels, too small to animate: "
            f"each side needs at least {MIN_IMAGE_SIDE} pixels."
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageProblem(
            f"The image is {width}x{height} pixels, too large: the limit is {MAX_IMAGE_PIXELS // 1_000_000} "
            "megapixels. Scale it down and try again."
        )
    if max(width, height) > MAX_IMAGE_ASPECT * min(width, height):
        raise ImageProblem(
            f"The image is {width}x{height} pixels, too long and thin for a video: "
            f"its longer side may be at most {MAX_IMAGE_ASPECT:g} times its shorter side. Crop it and try again."
        )


def video_size_for_image(spec: ModelSpec, resolution: str, image_width: int, image_height: int) -> tuple[int, int]:
    """(width, height) with the image's aspect ratio and about the preset's pixel area, snapped to the model."""
    preset_width, preset_height = spec.presets[resolution]
    area = preset_width * preset_height
    aspect = image_width / image_height
    multiple = spec.size_multiple

    def snap(side: float) -> int:
        return max(multiple, int(round(side / multiple)) * multiple)

    return snap(math.sqrt(area * aspect)), snap(math.sqrt(area / aspect))


def cover_and_crop(rgb: Image.Image, width: int, height: int) -> Image.Image:
    """Scale so the image covers width x height, then cut the centre: no stretching, no borders."""
    scale = max(width / rgb.width, height / rgb.height)
    scaled_size = (max(width, round(rgb.width * scale)), max(height, round(rgb.height * scale)))
    scaled = rgb.resize(scaled_size, Image.Resampling.LANCZOS)
    left = (scaled.width - width) // 2
    top = (scaled.height - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def prepare_image(spec: ModelSpec, resolution: str, image: Image.Image) -> PreparedImage:
    check_image(image)
    rgb = to_rgb(image)
    width, height = video_size_for_image(spec, resolution, rgb.width, rgb.height)
    return PreparedImage(
        image=cover_and_crop(rgb, width, height),
        width=width,
        height=height,
        source_width=rgb.width,
        source_height=rgb.height,
        sha256=pixel_sha256(rgb),
    )


def open_image_file(path, what: str = "The image") -> Image.Image:
    """An uploaded picture read from disk: its size is checked from the header before any pixel is decoded, so
    a huge or broken file costs no memory; every failure becomes an ImageProblem with a message."""
    try:
        image = Image.open(path)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ImageProblem(f"{what} could not be read. Upload a PNG, JPEG or WebP picture.") from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageProblem(
            f"{what} is {width}x{height} pixels, too large: the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        )
    try:
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ImageProblem(f"{what} could not be read. Upload a PNG, JPEG or WebP picture.") from None
    return image
