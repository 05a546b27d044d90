"""Clinics' before/after photos: check an upload, strip its metadata, re-encode it, store it.

A pure library: no Flask here. A route hands `process_upload` the upload's stream and shows
`PhotoError`'s message to the clinic; `PhotoStore` keeps the result under unguessable keys.
"""

from __future__ import annotations

import io
import math
import os
import re
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Decoded pixels one upload may hold in memory (Pillow keeps most modes at 4 bytes a pixel).
# A JPEG larger than that is decoded at 1/2, 1/4 or 1/8 scale straight from the file; other
# formats must fit as they are. Without it a 155 KB PNG of 40 megapixels took 616 MiB.
DECODE_BUDGET = 64 * 1024 * 1024
MAX_SIDE = 4000  # stored photos are at most this many pixels on their long side
THUMB_SIZE = (480, 480)
ACCEPTED = {"JPEG", "PNG", "WEBP"}

JPEG_QUALITY = 85
_READ_CHUNK = 1024 * 1024
# Cameras write multi-picture JPEGs (MPO); Pillow's JPEG reader reports them as "MPO".
_FORMAT_ALIASES = {"MPO": "JPEG"}
# What a damaged file makes Pillow's decoders raise.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

NOT_ACCEPTED = "This file is not an image we accept (JPEG, PNG or WebP)."
DAMAGED = "The image file is damaged or incomplete. Please export it again and upload the new file."


class PhotoError(ValueError):
    """An upload we refuse; str(error) is a message to show the clinic."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """A re-encoded photo and its thumbnail, both free of metadata."""

    data: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    content_type: str
    extension: str
    width: int
    height: int


def process_upload(
    stream: BinaryIO, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> ProcessedPhoto:
    """Check an uploaded image and re-encode it without metadata, with a thumbnail."""
    data = _read_limited(stream, max_bytes)
    with _open(data, max_pixels) as image:
        _within_budget(image)
        try:
            image.load()
            if max(image.size) > MAX_SIDE:
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # before any copy
        except Image.DecompressionBombError as err:
            raise PhotoError(_too_many_pixels(image.size, max_pixels)) from err
        except _DECODE_ERRORS as err:
            raise PhotoError(DAMAGED) from err
        clean = _clean_copy(image)

    transparent = clean.mode == "RGBA"
    fmt, content_type, extension = (
        ("PNG", "image/png", "png") if transparent else ("JPEG", "image/jpeg", "jpg")
    )
    thumb = clean.copy()
    thumb.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        data=_encode(clean, fmt),
        thumbnail=_encode(thumb, fmt),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def _read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    # One byte past the limit is enough to know the file is too large; never read the rest.
    chunks, remaining = [], max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        total = _total_size(stream, len(data))
        if total is None:
            raise PhotoError(f"The file is larger than the {_megabytes(max_bytes)} limit.")
        raise PhotoError(f"The file is {_megabytes(total)}; the limit is {_megabytes(max_bytes)}.")
    if not data:
        raise PhotoError("The file is empty.")
    return data


def _total_size(stream: BinaryIO, consumed: int) -> int | None:
    # Seekable uploads (werkzeug spools them to memory or a temporary file) tell their size
    # without being read; for anything else the message says only "larger than".
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here + consumed


def _open(data: bytes, max_pixels: int) -> Image.Image:
    # Only the accepted formats' readers ever see the bytes: sniffing by content, and no other
    # decoder (some, like EPS, hand the file to external programs) is reachable from an upload.
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED))
    except UnidentifiedImageError as err:
        raise PhotoError(NOT_ACCEPTED) from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow's own guard (Image.MAX_IMAGE_PIXELS, left at its default) fired while reading the
        # header: above twice its limit it raises, and if the application turns warnings into
        # errors it raises above the limit. Either way nothing was decoded.
        raise PhotoError(_too_many_pixels(None, max_pixels)) from err
    except _DECODE_ERRORS as err:
        raise PhotoError(DAMAGED) from err
    if _FORMAT_ALIASES.get(image.format, image.format) not in ACCEPTED:
        image.close()
        raise PhotoError(NOT_ACCEPTED)
    # Image.open has read only the header: refuse a decompression bomb before decoding a pixel.
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise PhotoError(_too_many_pixels(image.size, max_pixels))
    return image


def _within_budget(image: Image.Image) -> None:
    """Before decoding: make a large JPEG decode at a reduced scale, refuse what would not fit
    DECODE_BUDGET."""
    if image.format in ("JPEG", "MPO") and max(image.size) > MAX_SIDE:
        # draft() picks the smallest scale at least as large as asked: half of what fits
        # MAX_SIDE, so the decoded image is between that and MAX_SIDE (then resized to fit).
        half = MAX_SIDE / max(image.size) / 2
        image.draft(image.mode, (math.ceil(image.width * half), math.ceil(image.height * half)))
    width, height = image.size
    if width * height * _BYTES_PER_PIXEL.get(image.mode, 4) > DECODE_BUDGET:
        most = DECODE_BUDGET // _BYTES_PER_PIXEL.get(image.mode, 4) / 1_000_000
        raise PhotoError(
            f"The image is {width}×{height} pixels, too many to process in this format: "
            f"send it as a JPEG, or resize it to at most {most:.0f} megapixels."
        )


_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}


def _clean_copy(image: Image.Image) -> Image.Image:
    """Return the upright pixels in sRGB as a new RGB or RGBA image that carries no metadata."""
    try:
        upright = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        # Malformed EXIF is no reason to refuse a photo that decodes; it just stays as stored.
        upright = image
    converted = _to_srgb(upright)
    # A fresh image holds pixels only: EXIF (GPS, camera serials), XMP, comments and ICC
    # profiles all live in .info, which Image.new starts empty and paste does not copy.
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean


def _to_srgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):
        # 16-bit greyscale PNG: scale to 8 bits, where convert() would clip it to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    mode = "RGBA" if _has_transparency(image) else "RGB"
    icc = image.info.get("icc_profile")
    # The profile is dropped from the output, so colours described by it (Display P3 from
    # phones, CMYK) are converted to sRGB first, the colour space browsers assume.
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = mode if image.mode in ("RGB", "RGBA") else "RGB"
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # An unusable profile: keep the pixels as they are.
    image = image.convert(mode)
    if mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        # Declared but unused alpha (common in screenshots): a JPEG is a fraction of the size.
        image = image.convert("RGB")
    return image


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> str:
    limit = f"the limit is {max_pixels / 1_000_000:g} megapixels."
    if size is None:
        return f"The image has too many pixels; {limit}"
    return f"The image is {size[0]}×{size[1]} pixels; {limit}"


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


_KEY = re.compile(r"[A-Za-z0-9_-]{22}")  # the shape of secrets.token_urlsafe(16)
_EXTENSIONS = ("jpg", "png")


class PhotoStore:
    """Processed photos as files under one directory, named by random keys."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, photo: ProcessedPhoto) -> str:
        """Write the photo and its thumbnail; return the new key."""
        if photo.extension not in _EXTENSIONS:
            raise ValueError(f"Unexpected photo extension: {photo.extension!r}")
        key = secrets.token_urlsafe(16)
        main = self.root / f"{key}.{photo.extension}"
        thumb = self.root / f"{key}.thumb.{photo.extension}"
        try:
            _write_new(main, photo.data)
            _write_new(thumb, photo.thumbnail)
        except BaseException:
            main.unlink(missing_ok=True)
            thumb.unlink(missing_ok=True)
            raise
        return key

    def path(self, key: str, thumb: bool = False) -> Path:
        """Return the file of a stored photo (or its thumbnail); FileNotFoundError if none."""
        _check_key(key)
        for extension in _EXTENSIONS:
            candidate = self.root / (f"{key}.thumb.{extension}" if thumb else f"{key}.{extension}")
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"No stored photo {key}")

    def delete(self, key: str) -> None:
        """Remove a photo and its thumbnail; a missing photo is not an error."""
        _check_key(key)
        for extension in _EXTENSIONS:
            (self.root / f"{key}.{extension}").unlink(missing_ok=True)
            (self.root / f"{key}.thumb.{extension}").unlink(missing_ok=True)


def is_photo_key(key: str) -> bool:
    """Has `key` the shape of a key PhotoStore.save hands out?"""
    return isinstance(key, str) and bool(_KEY.fullmatch(key))


def _check_key(key: str) -> None:
    # Keys come back from URLs: only the generated shape can name a file, so no "../", "/" or ".".
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"Not a photo key: {key!r}")


def _write_new(path: Path, data: bytes) -> None:
    # Written under a temporary name and renamed, so a reader never sees half a photo.
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "xb") as f:
            f.write(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
