"""Pictures of every awkward kind through the live API: each makes a clip or gets Reel's own message, nothing is
decoded before its size is checked (so a decompression bomb costs the server no memory), and a picture given as
a web address is refused with a message and never fetched."""

import base64
import contextlib
import hashlib
import http.server
import io
import json
import struct
import threading
import zlib

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import ValidationError
from PIL import Image

from conftest import process_memory_mb

pytestmark = pytest.mark.live

QUICK = {"prompt": "a paper boat on a puddle", "seconds": 0.5, "steps": 2, "seed": 5}
MEMORY_GROWTH_LIMIT_MB = 50
# Black, mid grey and white thirds at 16 bits: exactly 0, 128 and 255 once scaled to 8 bits.
SIXTEEN_BIT_THIRDS = np.repeat(np.array([[0, 32896, 65535]], np.uint16), 32, axis=1).repeat(64, axis=0)


def png_of_zeros(path, width: int, height: int) -> None:
    """A black 8-bit grey PNG written without ever holding its pixels: a few hundred KB on disk, width x height
    bytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    rows_at_once = 500
    block = bytes(width + 1) * rows_at_once  # each row: filter byte 0, then the pixels
    pixels = [compressor.compress(block) for _ in range(height // rows_at_once)]
    pixels += [compressor.compress(bytes(width + 1) * (height % rows_at_once)), compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(pixels)) + chunk(b"IEND", b"")
    )


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("awkward-pictures")
    png_of_zeros(folder / "bomb.png", 20000, 20000)  # 400 megapixels: past Pillow's own bomb guard
    png_of_zeros(folder / "huge.png", 12000, 12000)  # 144 megapixels: Pillow alone would decode it
    noise(96, 64).save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    (folder / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.png").write_text("Shopping: eggs, flour, milk.\n" * 20)
    frames = [Image.new("RGB", (96, 64), colour) for colour in ("red", "lime", "blue")]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    noise(96, 64, seed=1).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    Image.fromarray(SIXTEEN_BIT_THIRDS).save(folder / "sixteen-bit.png")
    landscape = noise(96, 64, seed=2)
    exif = landscape.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": a phone photo held upright
    landscape.save(folder / "rotated.jpg", exif=exif, quality=95)
    return folder


@pytest.fixture(scope="module")
def token(live_server):
    return live_server.issue_token("awkward-pictures")


def generate(server, token, image, **changes):
    arguments = {**QUICK, "access_token": token, "image": image, **changes}
    return server.client().predict(**arguments, api_name="/generate")


@contextlib.contextmanager
def memory_watch(pid: int):
    """Samples the process's resident memory every few milliseconds while inside; yields a dict that holds,
    on exit, how far its resident memory and its high-water mark rose above where they were."""
    before_now, before_peak = process_memory_mb(pid, "VmRSS"), process_memory_mb(pid, "VmHWM")
    samples = [before_now]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(process_memory_mb(pid, "VmRSS"))
            stop.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    growth: dict[str, float] = {}
    try:
        yield growth
    finally:
        stop.set()
        sampler.join()
        growth["resident"] = max(samples) - before_now
        growth["high_water"] = process_memory_mb(pid, "VmHWM") - before_peak


@pytest.mark.parametrize(
    "name, message",
    [
        ("bomb.png", "The image is too large: the limit is 50 megapixels. Scale it down and try again."),
        ("huge.png", "The image is 12000x12000 pixels, too large: the limit is 50 megapixels."),
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header_at_no_memory_cost(live_server, token, pictures, name,
                                                                           message):
    before = live_server.generation_count()
    with memory_watch(live_server.pid) as growth:
        with pytest.raises(ValidationError) as refused:
            generate(live_server, token, handle_file(str(pictures / name)))
    assert message in str(refused.value)
    assert live_server.generation_count() == before
    assert growth["resident"] < MEMORY_GROWTH_LIMIT_MB, growth
    assert growth["high_water"] < MEMORY_GROWTH_LIMIT_MB, growth


@pytest.mark.parametrize(
    "name, message",
    [
        ("truncated.png", "The image could not be read: the file is damaged or incomplete."),
        ("notes.png", "The image could not be read. Upload a PNG, JPEG or WebP picture."),
    ],
)
def test_broken_files_and_non_pictures_get_reels_message(live_server, token, pictures, name, message):
    before, log_before = live_server.generation_count(), len(live_server.log_text())
    with pytest.raises(ValidationError, match=message):
        generate(live_server, token, handle_file(str(pictures / name)))
    assert "Traceback" not in live_server.log_text()[log_before:]
    assert live_server.generation_count() == before


def test_an_animated_gif_starts_the_clip_from_its_first_frame(live_server, token, pictures):
    _, manifest = generate(live_server, token, handle_file(str(pictures / "animated.gif")))
    first_frame = Image.new("RGB", (96, 64), "red")
    assert manifest["mode"] == "image-to-video"
    assert manifest["input_image"] == {
        "width": 96, "height": 64, "sha256": hashlib.sha256(first_frame.tobytes()).hexdigest(),
    }


def test_a_cmyk_jpeg_makes_a_clip(live_server, token, pictures):
    _, manifest = generate(live_server, token, handle_file(str(pictures / "cmyk.jpg")))
    assert manifest["mode"] == "image-to-video"
    assert (manifest["input_image"]["width"], manifest["input_image"]["height"]) == (96, 64)


def test_a_sixteen_bit_png_keeps_its_tones(live_server, token, pictures):
    """Scaled to 8 bits, not clipped: a plain convert would turn everything above 1/256 of the range white."""
    _, manifest = generate(live_server, token, handle_file(str(pictures / "sixteen-bit.png")))
    expected = Image.fromarray((SIXTEEN_BIT_THIRDS // 257).astype(np.uint8)).convert("RGB")  # 0, 128, 255
    assert manifest["mode"] == "image-to-video"
    assert manifest["input_image"]["sha256"] == hashlib.sha256(expected.tobytes()).hexdigest()


def test_an_exif_rotated_photo_makes_a_portrait_clip(live_server, token, pictures):
    _, manifest = generate(live_server, token, handle_file(str(pictures / "rotated.jpg")))
    assert (manifest["input_image"]["width"], manifest["input_image"]["height"]) == (64, 96)
    assert manifest["height"] > manifest["width"]


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a real PNG, and writes down that it was asked."""

    requests: list[str] = []
    body = png_bytes(noise(96, 64))

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    RecordingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", RecordingHandler.requests
    finally:
        server.shutdown()
        server.server_close()


WEB_ADDRESS_MESSAGE = "The image was given as a web address. Reel does not fetch pictures from other sites"


@pytest.mark.parametrize("form", ["handle_file", "raw url", "localhost name"])
def test_a_web_address_is_refused_with_a_message_and_never_fetched(live_server, token, listener, form):
    address, requests = listener
    if form == "handle_file":
        image = handle_file(f"{address}/start.png")
    elif form == "raw url":
        image = {"url": f"{address}/start.png"}
    else:
        image = handle_file(f"{address.replace('127.0.0.1', 'localhost')}/start.png")
    assert httpx.get(f"{address}/probe.png").status_code == 200  # the listener answers: it would be fetched
    requests.clear()
    before = live_server.generation_count()
    with pytest.raises(ValidationError, match=WEB_ADDRESS_MESSAGE):
        generate(live_server, token, image)
    assert requests == [], "the server fetched the address"
    assert live_server.generation_count() == before


@pytest.mark.parametrize("address", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/a.png",
                                     "https://example.com/cat.png"])
def test_private_link_local_and_public_addresses_get_the_same_message(live_server, token, address):
    with pytest.raises(ValidationError, match=WEB_ADDRESS_MESSAGE):
        generate(live_server, token, handle_file(address))


def test_a_picture_sent_inline_as_base64_is_read_the_same_way(live_server, token, pictures):
    """A raw {"url": "data:..."} payload: its bytes are saved as a file, never decoded before the size check."""

    def inline(name: str) -> dict:
        return {"url": "data:image/png;base64," + base64.b64encode((pictures / name).read_bytes()).decode()}

    with pytest.raises(ValidationError, match="The image is too large"):
        generate(live_server, token, inline("bomb.png"))
    _, manifest = generate(live_server, token, inline("whole.png"))
    assert (manifest["input_image"]["width"], manifest["input_image"]["height"]) == (96, 64)


def test_a_file_on_the_server_that_was_not_uploaded_is_never_read(live_server, token, tmp_path):
    """A payload without Gradio's file marker skips Gradio's upload-folder check (the stock image input then
    animates any picture on the server's disk); the input checks it itself and refuses as Gradio does."""
    outside = tmp_path / "server-side.png"
    noise(96, 64, seed=9).save(outside)
    before = live_server.generation_count()
    with pytest.raises(httpx.HTTPStatusError) as refused:
        generate(live_server, token, {"path": str(outside)})
    assert refused.value.response.status_code == 400
    assert live_server.generation_count() == before


def test_storyboard_reference_and_reproduce_image_read_pictures_the_same_way(live_server, token, pictures, listener):
    address, requests = listener
    shots = json.dumps([{"prompt": "a lighthouse", "seconds": 0.5}])
    client = live_server.client()
    with pytest.raises(ValidationError, match="The reference picture is too large"):
        client.predict(shots=shots, style="none", reference=handle_file(str(pictures / "bomb.png")), steps=2,
                       access_token=token, api_name="/storyboard")
    _, made = generate(live_server, token, handle_file(str(pictures / "rotated.jpg")))
    with pytest.raises(ValidationError, match=WEB_ADDRESS_MESSAGE):
        client.predict(manifest=json.dumps(made), image=handle_file(f"{address}/start.png"), access_token=token,
                       api_name="/reproduce")
    assert requests == []
    # The same photo gives the same hash when reproducing, so the clip is made again.
    _, again = client.predict(manifest=json.dumps(made), image=handle_file(str(pictures / "rotated.jpg")),
                              access_token=token, api_name="/reproduce")
    assert again["input_image"] == made["input_image"]


def test_the_api_describes_the_image_as_a_file(live_server):
    info = live_server.client().view_api(print_info=False, return_format="dict")
    parameters = {item["parameter_name"]: item for item in info["named_endpoints"]["/generate"]["parameters"]}
    assert parameters["image"]["python_type"]["type"] == "filepath"
