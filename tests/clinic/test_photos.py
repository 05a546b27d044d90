"""directory/photos.py: what an upload must be, what survives re-encoding, and the photo store."""

import io
import os
import re
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo
from werkzeug.datastructures import FileStorage

from directory.photos import (
    ACCEPTED,
    MAX_BYTES,
    MAX_PIXELS,
    THUMB_SIZE,
    PhotoError,
    PhotoStore,
    ProcessedPhoto,
    process_upload,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
SECRET = b"patient 4411, Dr Example"


def encode(image, fmt, **params):
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def noisy(size, mode="RGB"):
    """Random pixels: they compress badly, so files are big enough to cut in half meaningfully."""
    bands = len(mode)
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * bands))


def halves(size, first, second):
    """Left half `first`, right half `second`."""
    image = Image.new("RGB", size, second)
    image.paste(first, (0, 0, size[0] // 2, size[1]))
    return image


def camera_jpeg(image, orientation=1):
    """A JPEG as a phone writes it: EXIF with GPS and orientation, XMP, comment, ICC profile."""
    exif = Image.Exif()
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x0131] = SECRET.decode()  # Software
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {
        1: "N",
        2: (52.0, 31.0, 12.5),  # latitude
        3: "E",
        4: (13.0, 24.0, 0.5),  # longitude
    }
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SECRET + b"</x:xmpmeta>"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(image, "JPEG", exif=exif, xmp=xmp, comment=SECRET, icc_profile=icc)


def blank_png(width, height):
    """A valid 1-bit PNG of all-black pixels, built row by row so it never exists in memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    block = row * 1000
    parts = [compressor.compress(block) for _ in range(height // 1000)]
    parts.append(compressor.compress(row * (height % 1000)))
    parts.append(compressor.flush())

    def chunk(kind, body):
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grayscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    )


def reopen(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class CountingStream(io.RawIOBase):
    """A non-seekable upload stream that counts how much of it was read."""

    def __init__(self, data):
        self._inner = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self._inner.readinto(buffer)
        self.bytes_read += n
        return n


# --- metadata -----------------------------------------------------------------------------------


def test_gps_exif_xmp_comment_and_icc_are_stripped():
    source = camera_jpeg(noisy((64, 48)))
    before = Image.open(io.BytesIO(source))
    assert before.getexif().get_ifd(GPS_IFD)[2] == (52.0, 31.0, 12.5)  # the input really has GPS
    assert {"exif", "comment", "icc_profile"} <= before.info.keys()
    assert SECRET in source

    photo = process_upload(io.BytesIO(source))

    for data in (photo.data, photo.thumbnail):
        after = reopen(data)
        assert after.format == "JPEG"
        assert not after.getexif()
        assert not after.getexif().get_ifd(GPS_IFD)
        assert b"Exif" not in data
        assert SECRET not in data
        assert not {"exif", "xmp", "comment", "icc_profile"} & after.info.keys()


def test_orientation_6_is_applied_to_the_pixels():
    # Stored 80x40, red on the left; orientation 6 means "rotate 90° clockwise to display",
    # which puts the stored left side at the top.
    source = camera_jpeg(halves((80, 40), "red", "blue"), orientation=6)

    photo = process_upload(io.BytesIO(source))

    assert (photo.width, photo.height) == (40, 80)
    after = reopen(photo.data)
    assert after.size == (40, 80)
    assert not after.getexif().get(ORIENTATION)  # no tag left to rotate it a second time
    top, bottom = after.getpixel((20, 10)), after.getpixel((20, 70))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_result_is_a_progressive_rgb_jpeg():
    photo = process_upload(io.BytesIO(encode(noisy((100, 60), "L"), "PNG")))
    assert (photo.content_type, photo.extension) == ("image/jpeg", "jpg")
    after = reopen(photo.data)
    assert after.mode == "RGB"
    assert after.info.get("progressive")


def test_repr_does_not_dump_the_bytes():
    photo = process_upload(io.BytesIO(encode(Image.new("RGB", (10, 10)), "PNG")))
    assert "data" not in repr(photo) and len(repr(photo)) < 200


# --- formats ------------------------------------------------------------------------------------


def test_png_with_transparency_stays_png_with_alpha():
    image = Image.new("RGBA", (50, 40), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 25, 40))
    source = encode(image, "PNG", pnginfo=_text_chunk(SECRET))
    assert SECRET in source

    photo = process_upload(io.BytesIO(source))

    assert (photo.content_type, photo.extension) == ("image/png", "png")
    for data in (photo.data, photo.thumbnail):
        after = reopen(data)
        assert after.format == "PNG" and after.mode == "RGBA"
        assert SECRET not in data
    after = reopen(photo.data)
    assert after.getpixel((5, 5))[3] == 0
    assert after.getpixel((40, 5)) == (0, 128, 0, 255)


def _text_chunk(text):
    info = PngInfo()
    info.add_text("Comment", text.decode())
    return info


def test_palette_png_with_transparent_index_stays_png():
    image = Image.new("P", (20, 20), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(0, (0, 0, 10, 20))
    photo = process_upload(io.BytesIO(encode(image, "PNG", transparency=0)))
    assert photo.content_type == "image/png"
    assert reopen(photo.data).getpixel((2, 2))[3] == 0


def test_opaque_alpha_channel_becomes_jpeg():
    photo = process_upload(io.BytesIO(encode(Image.new("RGBA", (20, 20), "white"), "PNG")))
    assert (photo.content_type, photo.extension) == ("image/jpeg", "jpg")


def test_webp_is_accepted():
    photo = process_upload(io.BytesIO(encode(noisy((64, 64)), "WEBP", quality=80)))
    assert photo.content_type == "image/jpeg"
    assert reopen(photo.data).size == (64, 64)


def test_cmyk_jpeg_becomes_rgb():
    photo = process_upload(io.BytesIO(encode(Image.new("CMYK", (20, 20)), "JPEG")))
    assert reopen(photo.data).mode == "RGB"


def test_16_bit_greyscale_png_keeps_its_tones():
    photo = process_upload(io.BytesIO(encode(Image.new("I;16", (20, 20), 30_000), "PNG")))
    red, green, blue = reopen(photo.data).getpixel((5, 5))
    assert abs(red - 30_000 / 256) <= 2 and red == green == blue


def test_a_text_file_named_jpg_is_refused():
    # The name and the declared type are the client's word; only the content counts.
    upload = FileStorage(
        io.BytesIO(b"Hello, this is not a photo.\n" * 20),
        filename="before.jpg",
        content_type="image/jpeg",
    )
    with pytest.raises(PhotoError, match=re.escape("(JPEG, PNG or WebP)")):
        process_upload(upload.stream)


def test_a_gif_is_refused():
    source = encode(Image.new("RGB", (20, 20), "red"), "GIF")
    assert Image.open(io.BytesIO(source)).format == "GIF"
    with pytest.raises(PhotoError, match=re.escape("not an image we accept")):
        process_upload(io.BytesIO(source))


def test_an_empty_file_is_refused():
    with pytest.raises(PhotoError, match="empty"):
        process_upload(io.BytesIO(b""))


# --- size limits --------------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_is_refused_without_reading_it_all():
    stream = CountingStream(os.urandom(1_000_000))
    with pytest.raises(PhotoError, match=re.escape("larger than the 0 MB limit")):
        process_upload(stream, max_bytes=1000)
    assert stream.bytes_read == 1001


def test_the_byte_limit_message_gives_both_sizes_when_the_size_is_known():
    stream = io.BytesIO(b"\0" * int(14.2 * 1024 * 1024))
    with pytest.raises(PhotoError) as refused:
        process_upload(stream)
    assert str(refused.value) == "The file is 14.2 MB; the limit is 10 MB."
    assert stream.tell() == MAX_BYTES + 1


def test_a_file_exactly_at_the_byte_limit_is_accepted():
    source = encode(Image.new("RGB", (30, 30), "white"), "PNG")
    assert process_upload(io.BytesIO(source), max_bytes=len(source)).width == 30


def test_too_many_pixels_is_refused_with_dimensions():
    source = encode(Image.new("L", (400, 300)), "PNG")
    with pytest.raises(PhotoError) as refused:
        process_upload(io.BytesIO(source), max_pixels=100_000)
    assert str(refused.value) == "The image is 400×300 pixels; the limit is 0.1 megapixels."


@pytest.fixture
def decoded(monkeypatch):
    """Records every image Pillow decodes while a test runs."""
    sizes = []
    load = ImageFile.ImageFile.load

    def recording_load(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    return sizes


def test_decoded_fixture_sees_decoding(decoded):
    process_upload(io.BytesIO(encode(Image.new("RGB", (30, 20)), "PNG")))
    assert (30, 20) in decoded


def test_blank_png_helper_makes_a_valid_png():
    image = reopen(blank_png(1234, 2345))
    assert (image.format, image.mode, image.size) == ("PNG", "1", (1234, 2345))
    assert image.getextrema() == (0, 0)


@pytest.mark.parametrize(
    "size",
    [
        (8_000, 8_000),  # over MAX_PIXELS, under Pillow's own limit: our header check refuses it
        (15_000, 15_000),  # over twice Pillow's limit: Pillow refuses it while reading the header
    ],
)
def test_decompression_bomb_is_refused_before_decoding(size, decoded):
    source = blank_png(*size)
    assert len(source) < 100_000  # tiny on the wire...
    assert size[0] * size[1] > MAX_PIXELS  # ...huge in memory

    started = time.perf_counter()
    with pytest.raises(PhotoError, match=re.escape("the limit is 40 megapixels")):
        process_upload(io.BytesIO(source))
    assert time.perf_counter() - started < 1.0
    assert decoded == []


def test_decompression_bomb_warning_as_error_is_refused(decoded):
    # 100 megapixels is over Pillow's warning threshold; an app running with warnings as errors
    # gets the warning raised from Image.open, and that must still be a PhotoError.
    source = blank_png(10_000, 10_000)
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000
    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(PhotoError, match="10000×10000 pixels"),
    ):
        process_upload(io.BytesIO(source))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(PhotoError, match="the limit is 40 megapixels"):
            process_upload(io.BytesIO(source))
    assert decoded == []


def test_default_limits():
    assert MAX_BYTES == 10 * 1024 * 1024
    assert MAX_PIXELS == 40_000_000
    assert THUMB_SIZE == (480, 480)
    assert {"JPEG", "PNG", "WEBP"} == ACCEPTED


# --- damaged files ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused(fmt):
    source = encode(noisy((200, 150)), fmt)
    cut = source[: len(source) // 2]
    with pytest.raises(PhotoError, match="damaged or incomplete"):
        process_upload(io.BytesIO(cut))


def test_a_corrupted_png_is_refused():
    source = bytearray(encode(noisy((64, 64)), "PNG"))
    source[200:260] = b"\xff" * 60  # inside the compressed pixel data
    with pytest.raises(PhotoError, match="damaged or incomplete"):
        process_upload(io.BytesIO(bytes(source)))


# --- thumbnail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "thumb"),
    [((1200, 800), (480, 320)), ((600, 1800), (160, 480)), ((100, 80), (100, 80))],
)
def test_thumbnail_fits_within_480_square(size, thumb):
    photo = process_upload(io.BytesIO(encode(Image.new("RGB", size, "gray"), "JPEG")))
    assert (photo.width, photo.height) == size
    assert reopen(photo.thumbnail).size == thumb


# --- store --------------------------------------------------------------------------------------


@pytest.fixture
def photo():
    return process_upload(io.BytesIO(camera_jpeg(noisy((900, 600)))))


def test_store_round_trip(tmp_path, photo):
    store = PhotoStore(tmp_path / "photos" / "nested")  # created if missing
    key = store.save(photo)

    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)
    assert store.path(key).name == f"{key}.jpg"
    assert store.path(key, thumb=True).name == f"{key}.thumb.jpg"
    assert store.path(key).read_bytes() == photo.data
    assert store.path(key, thumb=True).read_bytes() == photo.thumbnail
    assert sorted(p.name for p in store.root.iterdir()) == [f"{key}.jpg", f"{key}.thumb.jpg"]


def test_store_keys_are_unique(tmp_path, photo):
    store = PhotoStore(tmp_path)
    assert len({store.save(photo) for _ in range(20)}) == 20


def test_store_keeps_png(tmp_path):
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    store = PhotoStore(tmp_path)
    key = store.save(process_upload(io.BytesIO(encode(image, "PNG"))))
    assert store.path(key).suffix == ".png"
    assert store.path(key, thumb=True).name == f"{key}.thumb.png"


@pytest.mark.parametrize(
    "key",
    ["../x", "a/b", "..", "", "/etc/passwd", "..%2F..%2Fetc", "A" * 21 + ".", "A" * 22 + "/"],
)
def test_store_refuses_keys_not_of_the_generated_shape(tmp_path, key):
    store = PhotoStore(tmp_path)
    for call in (store.path, store.delete):
        with pytest.raises(ValueError, match="Not a photo key"):
            call(key)


def test_store_path_of_an_unknown_key(tmp_path):
    with pytest.raises(FileNotFoundError):
        PhotoStore(tmp_path).path("A" * 22)


def test_store_delete_removes_both_files(tmp_path, photo):
    store = PhotoStore(tmp_path)
    key = store.save(photo)
    kept = store.save(photo)

    store.delete(key)

    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{kept}.jpg", f"{kept}.thumb.jpg"]
    with pytest.raises(FileNotFoundError):
        store.path(key)
    store.delete(key)  # deleting twice is fine


def test_processed_photo_is_frozen(photo):
    with pytest.raises(AttributeError):
        photo.width = 1
    assert isinstance(photo, ProcessedPhoto)


# --- memory ---------------------------------------------------------------------------------------


def peak_rss_mib(code: str) -> float:
    """Peak resident memory of a fresh Python that runs `code` after importing the photo library."""
    import subprocess
    import sys

    script = f"import io, resource\nfrom directory.photos import *\n{code}\n"
    script += "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


@pytest.mark.once
def test_a_40_megapixel_image_is_processed_within_a_bounded_memory(tmp_path):
    """39.9 MP: a JPEG is decoded at a reduced scale, a PNG is refused before decoding; neither
    takes more than a bounded amount of memory (it was 616 MiB for a 155 KB PNG)."""
    jpeg, png = tmp_path / "big.jpg", tmp_path / "big.png"
    size = (7300, 5460)  # 39.9 megapixels
    Image.new("RGB", size, "gray").save(jpeg, "JPEG", quality=50)
    Image.new("RGB", size, (200, 100, 50)).save(png, "PNG", compress_level=1)
    baseline = peak_rss_mib("")
    used = peak_rss_mib(
        f"p = process_upload(open({str(jpeg)!r}, 'rb'))\nassert max(p.width, p.height) <= MAX_SIDE"
    )
    assert used - baseline < 160, f"{used - baseline:.0f} MiB for a 40 MP JPEG"
    attempt = f"try:\n    process_upload(open({str(png)!r}, 'rb'))\n"
    refused = peak_rss_mib(attempt + "except PhotoError as e:\n    assert 'JPEG' in str(e)")
    assert refused - baseline < 40
