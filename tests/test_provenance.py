"""C2PA signing of Reel's MP4s: a signed clip verifies (only `untrusted`, as a test CA is on no trust list), says a
trained model made it, carries Reel's manifest exactly, and still plays with its sound and `comment` tag; a bad
credential stops the app at start with a one-line reason that never quotes the key; a failed signing leaves no file.
"""

import os
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from bench.throwaway_ca import PemCredentials, ThrowawayCA, self_signed_credentials
from cryptography.hazmat.primitives import serialization

from model import SoundTrack, decode_frames, encode_mp4, probe_audio, probe_video, read_manifest
from provenance import (
    TRAINED_ALGORITHMIC_MEDIA,
    UNTRUSTED_CODE,
    C2paSigner,
    ProvenanceError,
    SigningFailed,
    active_manifest,
    assertion_data,
    read_provenance,
    reel_manifest,
    validation_codes,
)

MODEL_LABEL = "LTX-Video 0.9.8 distilled (test)"
# Lists of numbers on purpose: c2pa would turn them into byte strings if the manifest went in as structured data.
CLIP_MANIFEST = {
    "model": "ltx-video", "prompt": "a red kite over the dunes, é ✓", "seed": 2**40 + 7, "fps": 24,
    "num_frames": 72, "width": 512, "height": 320, "guidance": 1.0, "shot_frames": [24, 48, 300, 70000],
    "colour": [0.25, 0.5, 1.0], "negative_prompt": None, "nested": [{"a": [1, 2]}],
}


@pytest.fixture(scope="module")
def test_ca():
    return ThrowawayCA.create()


@pytest.fixture(scope="module")
def credentials(test_ca):
    return test_ca.issue()


@pytest.fixture(scope="module")
def signer(credentials):
    return C2paSigner.from_env(credentials.environ())


def moving_gradient(frames: int, height: int, width: int) -> np.ndarray:
    """A picture that compresses like a generated clip (smooth, moving), not like noise."""
    y, x = np.mgrid[0:height, 0:width]
    video = np.empty((frames, height, width, 3), dtype=np.uint8)
    for index in range(frames):
        video[index, ..., 0] = (x + 4 * index) % 256
        video[index, ..., 1] = (y * 255) // height
        video[index, ..., 2] = (x + y + 2 * index) % 256
    return video


def tone(seconds: float, rate: int = 24000) -> SoundTrack:
    t = np.arange(int(seconds * rate)) / rate
    return SoundTrack(np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)]), rate)


@pytest.fixture(scope="module")
def reel_clip(tmp_path_factory):
    """A 3 s 512x320 Reel MP4 with sound, as the engine writes it."""
    path = tmp_path_factory.mktemp("reel-clip") / "clip.mp4"
    encode_mp4(moving_gradient(72, 320, 512), 24, path, CLIP_MANIFEST, preset="ultrafast", sound=tone(3.0))
    return path


@pytest.fixture(scope="module")
def signed_clip(signer, reel_clip, tmp_path_factory):
    path = tmp_path_factory.mktemp("signed") / "signed.mp4"
    signer.sign_mp4(reel_clip, path, CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    return path


def key_lines(credentials: PemCredentials) -> list[str]:
    return [line for line in credentials.key_pem.splitlines() if line and not line.startswith("-----")]


def refusal(environ: dict, key_text: str | None = None) -> str:
    """The ProvenanceError message from_env gives for `environ`, checked to quote no line of `key_text`."""
    with pytest.raises(ProvenanceError) as caught:
        C2paSigner.from_env(environ)
    message = str(caught.value)
    assert "\n" not in message
    for line in (key_text or "").splitlines():
        if line and not line.startswith("-----"):
            assert line not in message and line not in repr(caught.value)
    return message


def top_level_boxes(path) -> list[str]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size == 0:
            break
        offset += size
    return boxes


# Signing and what reads back


def test_a_signed_clip_verifies_with_only_the_untrusted_test_ca_to_report(signed_clip):
    report = read_provenance(signed_clip)
    assert report is not None
    assert validation_codes(report) == [UNTRUSTED_CODE]
    generator = active_manifest(report)["claim_generator_info"][0]
    assert generator["name"] == "Reel" and generator["version"] == "0.1.0"
    assert active_manifest(report)["signature_info"]["alg"].upper() == "ES256"


def test_the_clip_is_declared_made_by_a_trained_model(signed_clip):
    actions = assertion_data(read_provenance(signed_clip), "c2pa.actions")["actions"]
    assert len(actions) == 1
    created = actions[0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert created["softwareAgent"]["name"] == MODEL_LABEL
    assert created["parameters"]["model"] == MODEL_LABEL


def test_the_reel_assertion_is_the_clip_manifest_exactly(signed_clip):
    assert reel_manifest(read_provenance(signed_clip)) == CLIP_MANIFEST


def test_the_signed_clip_still_plays_with_its_sound_and_reel_tag(reel_clip, signed_clip):
    video, audio = probe_video(signed_clip), probe_audio(signed_clip)
    assert video["codec"] == "h264" and video["num_frames"] == 72 and (video["width"], video["height"]) == (512, 320)
    assert audio["codec"] == "aac" and audio["channels"] == 2 and audio["seconds"] == pytest.approx(3.0, abs=0.05)
    assert read_manifest(signed_clip) == CLIP_MANIFEST
    assert np.array_equal(decode_frames(signed_clip), decode_frames(reel_clip))
    # Still "fast start": the movie header stays ahead of the media, so a browser plays while downloading.
    boxes = top_level_boxes(signed_clip)
    assert boxes.index("moov") < boxes.index("mdat") and "uuid" in boxes


def test_an_unsigned_clip_has_no_provenance(reel_clip):
    assert read_provenance(reel_clip) is None


def test_signing_in_place_replaces_the_file_and_keeps_its_permissions(signer, reel_clip, tmp_path):
    path = tmp_path / "in-place.mp4"
    path.write_bytes(reel_clip.read_bytes())
    os.chmod(path, 0o644)
    signer.sign_mp4(path, path, CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    assert validation_codes(read_provenance(path)) == [UNTRUSTED_CODE]
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-place.mp4"]


def test_an_rsa_credential_signs_with_ps256(test_ca, reel_clip, tmp_path):
    signer = C2paSigner.from_env(test_ca.issue("rsa").environ())
    assert signer.algorithm == "PS256"
    signer.sign_mp4(reel_clip, tmp_path / "rsa.mp4", CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    assert validation_codes(read_provenance(tmp_path / "rsa.mp4")) == [UNTRUSTED_CODE]


def test_one_signer_signs_from_several_threads_at_once(signer, reel_clip, tmp_path):
    targets = [tmp_path / f"clip-{index}.mp4" for index in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda target: signer.sign_mp4(reel_clip, target, CLIP_MANIFEST, MODEL_LABEL, "0.1.0"), targets))
    assert all(validation_codes(read_provenance(target)) == [UNTRUSTED_CODE] for target in targets)


def test_the_package_loads_without_gradio_or_torch():
    # The app checks the credential before loading a model; the package must not pull either in.
    code = "import sys, provenance; print(sorted({'gradio', 'torch'} & set(sys.modules)))"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"


# A failed signing


def test_a_failed_signing_raises_and_leaves_no_file(signer, tmp_path):
    source = tmp_path / "not-a-video.mp4"
    source.write_bytes(b"this is not an MP4 file " * 100)
    with pytest.raises(SigningFailed) as caught:
        signer.sign_mp4(source, tmp_path / "out.mp4", CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    assert "not-a-video.mp4" in str(caught.value) and caught.value.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-video.mp4"]


def test_a_failed_signing_in_place_leaves_the_original(signer, tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"this is not an MP4 file " * 100)
    with pytest.raises(SigningFailed):
        signer.sign_mp4(source, source, CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    assert source.read_bytes() == b"this is not an MP4 file " * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_a_manifest_that_is_not_json_fails_as_a_signing_failure(signer, reel_clip, tmp_path):
    with pytest.raises(SigningFailed):
        signer.sign_mp4(reel_clip, tmp_path / "out.mp4", {"path": tmp_path}, MODEL_LABEL, "0.1.0")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_source_fails_as_a_signing_failure(signer, tmp_path):
    with pytest.raises(SigningFailed):
        signer.sign_mp4(tmp_path / "gone.mp4", tmp_path / "out.mp4", CLIP_MANIFEST, MODEL_LABEL, "0.1.0")
    assert list(tmp_path.iterdir()) == []


# The credential, checked at start


def test_no_variables_means_an_unsigned_deployment():
    assert C2paSigner.from_env({}) is None
    assert C2paSigner.from_env({"REEL_C2PA_CERT": "  ", "REEL_C2PA_KEY": ""}) is None


def test_the_variables_may_name_pem_files(credentials, tmp_path):
    cert_path, key_path = credentials.write(tmp_path / "secrets")
    signer = C2paSigner.from_env({"REEL_C2PA_CERT": str(cert_path), "REEL_C2PA_KEY": f"  {key_path}\n"})
    assert signer.algorithm == "ES256"


def test_the_variables_may_hold_pem_text_even_on_one_line_with_escaped_newlines(credentials):
    assert C2paSigner.from_env(credentials.environ()).algorithm == "ES256"
    one_line = {name: value.replace("\n", "\\n") for name, value in credentials.environ().items()}
    assert C2paSigner.from_env(one_line).algorithm == "ES256"


def test_a_key_in_another_pem_format_is_accepted(credentials):
    key = serialization.load_pem_private_key(credentials.key_pem.encode(), password=None)
    sec1 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert C2paSigner.from_env({"REEL_C2PA_CERT": credentials.cert_pem, "REEL_C2PA_KEY": sec1}).algorithm == "ES256"


def test_the_signer_never_shows_its_key(signer, credentials, caplog):
    shown = repr(signer) + repr(signer.credentials) + signer.credentials.describe()
    assert "Reel test signer" in shown
    assert not any(line in shown for line in key_lines(credentials))
    with caplog.at_level("DEBUG"):
        C2paSigner.from_env(credentials.environ())
    assert "C2PA signing on" in caplog.text
    assert not any(line in caplog.text for line in key_lines(credentials))


def test_a_self_signed_certificate_is_refused():
    bad = self_signed_credentials()
    message = refusal(bad.environ(), bad.key_pem)
    assert "self-signed" in message and "certificate authority" in message


def test_a_key_that_does_not_match_the_certificate_is_refused(test_ca):
    one, other = test_ca.issue(), test_ca.issue()
    message = refusal({"REEL_C2PA_CERT": one.cert_pem, "REEL_C2PA_KEY": other.key_pem}, other.key_pem)
    assert "REEL_C2PA_KEY does not match the certificate" in message


def test_garbage_pem_is_refused(credentials):
    garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    message = refusal({"REEL_C2PA_CERT": garbage, "REEL_C2PA_KEY": credentials.key_pem}, credentials.key_pem)
    assert "REEL_C2PA_CERT holds no readable PEM certificate" in message
    garbage_key = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwgc29ycnk=\n-----END PRIVATE KEY-----\n"
    message = refusal({"REEL_C2PA_CERT": credentials.cert_pem, "REEL_C2PA_KEY": garbage_key}, garbage_key)
    assert "REEL_C2PA_KEY holds no readable PEM private key" in message


def test_a_value_that_is_neither_pem_nor_a_file_is_refused_without_being_quoted(credentials):
    # A key pasted without its BEGIN/END lines: it must not come back in the message.
    bare = "".join(key_lines(credentials))
    message = refusal({"REEL_C2PA_CERT": credentials.cert_pem, "REEL_C2PA_KEY": bare}, credentials.key_pem)
    assert "REEL_C2PA_KEY is neither PEM text" in message and bare not in message


@pytest.mark.parametrize("given", ["REEL_C2PA_CERT", "REEL_C2PA_KEY"])
def test_only_one_of_the_two_variables_is_refused(credentials, given):
    message = refusal({given: credentials.environ()[given]}, credentials.key_pem)
    assert f"{given} is set but" in message and "needs both" in message


@pytest.mark.parametrize(("key_type", "named"), [("ed25519", "Ed25519"), ("ec-p384", "secp384r1")])
def test_an_unsupported_key_type_is_refused(test_ca, key_type, named):
    bad = test_ca.issue(key_type)
    message = refusal(bad.environ(), bad.key_pem)
    assert named in message and "EC P-256" in message and "RSA" in message


def test_an_expired_certificate_is_refused(test_ca):
    bad = test_ca.issue(expired=True)
    assert "REEL_C2PA_CERT expired on" in refusal(bad.environ(), bad.key_pem)


def test_swapped_variables_are_named(credentials):
    swapped = {"REEL_C2PA_CERT": credentials.key_pem, "REEL_C2PA_KEY": credentials.cert_pem}
    assert "swapped" in refusal(swapped, credentials.key_pem)


def test_a_password_protected_key_is_refused(credentials):
    key = serialization.load_pem_private_key(credentials.key_pem.encode(), password=None)
    locked = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    message = refusal({"REEL_C2PA_CERT": credentials.cert_pem, "REEL_C2PA_KEY": locked}, locked)
    assert "password-protected" in message


def test_what_c2pa_refuses_is_found_by_the_trial_signing(test_ca):
    # A leaf without the C2PA extensions passes the local checks; c2pa refuses it.
    plain = test_ca.issue(c2pa_profile=False)
    message = refusal(plain.environ(), plain.key_pem)
    assert message.startswith("c2pa refused the signing credential:") and "KeyUsage digitalSignature" in message
