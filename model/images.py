"""Preparing a person's image as the first frame of a video: read, checked, converted, sized for the model.

Uploads are read here and nowhere else (`open_image_file`): the size comes from the file's header before any
pixel is decoded, and every file Reel cannot use gets a message written for the person who sent it.

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
# What an upload may be. Pillow reads many more formats, some through outside programs (EPS runs Ghostscript);
# GIF, BMP and TIFF are still read because people have them. "JPEG" includes the MPO files some phones save.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
WEB_ADDRESS_PREFIXES = ("http://", "https://")


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
    """RGB pixels as a viewer shows them: EXIF rotation applied, transparency flattened onto white, 16-bit and
    floating-point grey scaled to 8 bits."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = eight_bit_grey(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def eight_bit_grey(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or floating-point grey picture as 8-bit grey ("L"). A plain convert clips every value
    above 255 to white, so the range is scaled: 16-bit files by their type, the others by their values (0 to 1
    for floating point, 0 to 255 or 0 to 65535 for whole numbers, else their own maximum)."""
    if image.mode.startswith("I;16"):
        full_scale = 65535.0
    else:
        _, highest = image.getextrema()
        if image.mode == "F" and highest <= 1.0:
            full_scale = 1.0
        elif highest <= 255:
            full_scale = 255.0
        else:
            full_scale = 65535.0 if highest <= 65535 else float(highest)
    return image.convert("F").point(lambda value: value * (255.0 / full_scale)).convert("L")


def pixel_sha256(rgb: Image.Image) -> str:
    return hashlib.sha256(rgb.tobytes()).hexdigest()


def unreadable_message(what: str) -> str:
    return f"{what} could not be read. Upload a PNG, JPEG or WebP picture."


def too_large_message(what: str, width: int, height: int) -> str:
    return (
        f"{what} is {width}x{height} pixels, too large: the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels. "
        "Scale it down and try again."
    )


def check_image(image, what: str = "The image") -> None:
    """Its size only (read from the header where the image is not loaded yet): never decodes a pixel."""
    if not isinstance(image, Image.Image):
        raise ImageProblem(unreadable_message(what))
    width, height = image.size
    if min(width, height) < MIN_IMAGE_SIDE:
        raise ImageProblem(
            f"{what} is {width}x{height} pixels, too small to animate: "
            f"each side needs at least {MIN_IMAGE_SIDE} pixels."
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageProblem(too_large_message(what, width, height))
    if max(width, height) > MAX_IMAGE_ASPECT * min(width, height):
        raise ImageProblem(
            f"{what} is {width}x{height} pixels, too long and thin for a video: "
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


def is_web_address(value) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(WEB_ADDRESS_PREFIXES)


def open_image_file(path, what: str = "The image") -> Image.Image:
    """An uploaded picture read from disk, as RGB (`to_rgb`; an animation's first frame). `Image.open` reads only
    the header, so the pixel count is checked before any pixel is decoded and a huge or broken file costs no
    memory; every failure becomes an ImageProblem with a message. A web address is refused, never fetched."""
    if is_web_address(path):
        raise ImageProblem(
            f"{what} was given as a web address. Reel does not fetch pictures from other sites: "
            "download the picture and upload the file itself."
        )
    try:
        image = Image.open(path, formats=IMAGE_FORMATS)
    except Image.DecompressionBombError:  # Pillow's own guard, far above Reel's limit, raised while opening
        raise ImageProblem(
            f"{what} is too large: the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels. "
            "Scale it down and try again."
        ) from None
    except (OSError, ValueError, TypeError):  # not a file, not a picture, or a format Reel does not read
        raise ImageProblem(unreadable_message(what)) from None
    with image:
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageProblem(too_large_message(what, width, height))
        try:
            image.load()  # the first frame only, for an animation
        except Exception:  # Pillow raises several kinds for a damaged or truncated file
            raise ImageProblem(
                f"{what} could not be read: the file is damaged or incomplete. Upload a PNG, JPEG or WebP picture."
            ) from None
        try:
            return to_rgb(image)  # a new image: nothing keeps the file open
        except Exception:  # a colour mode or EXIF block Pillow cannot convert
            raise ImageProblem(unreadable_message(what)) from None
