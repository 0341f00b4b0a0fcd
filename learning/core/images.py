"""Image checks and processing with Pillow: real images only, no decompression bombs, no EXIF.

``inspect_image`` is cheap (it reads the header) and runs while the upload is checked;
``process_image`` does the real work (decode, orient, strip metadata, resize) in a task.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from learning.core.files import FileCheckError

# 40 megapixels is far beyond any cover or photo people upload; above it is refused outright.
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    media_type: str


def _open(stream: BinaryIO) -> Image.Image:
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            if image.width * image.height > MAX_PIXELS:
                raise FileCheckError("The image has too many pixels.")
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileCheckError("The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise FileCheckError("The file is not an image we can read.") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def inspect_image(stream: BinaryIO) -> ImageInfo:
    """Check that ``stream`` is a PNG, JPEG or WebP of sane size; it is rewound afterwards."""
    start = stream.tell()
    try:
        image = _open(stream)
        if image.format not in ALLOWED_FORMATS:
            raise FileCheckError("Use a PNG, JPEG or WebP image.")
        image.verify()  # checks the file's structure without decoding all pixels
        return ImageInfo(image.width, image.height, ALLOWED_FORMATS[image.format])
    except FileCheckError:
        raise
    except Exception:  # Pillow raises many kinds of errors for broken files
        raise FileCheckError("The image file is damaged.") from None
    finally:
        stream.seek(start)


def process_image(stream: BinaryIO, *, max_size: tuple[int, int]) -> bytes:
    """Decode, turn upright, drop EXIF and other metadata, shrink to fit ``max_size``.

    Returns a new JPEG (or PNG when the image has transparency).
    """
    image = _open(stream)
    try:
        image.load()
    except Exception:
        raise FileCheckError("The image file is damaged.") from None
    image = ImageOps.exif_transpose(image)
    image.thumbnail(max_size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()
