"""Loading that cannot crash start-up by surprise: a tokenizer saved the slow way (a SentencePiece model, no
tokenizer.json, as diffusers' LTX conversion script saves it) loads, and any failure to load ends start-up with one
message naming the model and the fix."""

import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import sentencepiece

from bench.live_server import REPO_ROOT
from model import ModelUnavailable, load_engine
from model.tiny import ensure_tiny_pipeline

pytestmark = pytest.mark.models

SENTENCES = ["a cat on the sea at night", "the red dog runs in the city", "slow camera over blue sky"] * 20


def _sentencepiece_model() -> bytes:
    """A small unigram SentencePiece model, trained here on a few sentences (T5's special ids: pad 0, eos 1,
    unk 2)."""
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES), model_writer=model, vocab_size=40, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        hard_vocab_limit=False, minloglevel=2,
    )
    return model.getvalue()


@pytest.fixture(scope="module")
def slow_tokenizer_folder(tmp_path_factory):
    """The tiny LTX pipeline with its tokenizer replaced by a slow-saved T5 tokenizer."""
    root = tmp_path_factory.mktemp("slow-tokenizer")
    built = ensure_tiny_pipeline("tiny-ltx", root / "models" / "tiny-ltx")
    folder = root / "ltx-slow-tokenizer"
    shutil.copytree(built, folder)
    tokenizer = folder / "tokenizer"
    shutil.rmtree(tokenizer)
    tokenizer.mkdir()
    (tokenizer / "spiece.model").write_bytes(_sentencepiece_model())
    (tokenizer / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "T5Tokenizer", "model_max_length": 512, "extra_ids": 0,
        "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
    }))
    return folder


def test_a_slow_saved_tokenizer_loads_and_generates(slow_tokenizer_folder, tmp_path):
    assert not (slow_tokenizer_folder / "tokenizer" / "tokenizer.json").exists()
    engine = load_engine(str(slow_tokenizer_folder), data_dir=tmp_path)
    ids = engine.pipeline.tokenizer("a cat on the sea").input_ids
    assert ids[-1] == 1 and 2 not in ids  # ends with </s>, every piece known
    # A local folder borrows the real LTX entry's settings, so 4 steps is its least.
    frames = engine.generate_frames(engine.plan(prompt="a cat on the sea", seed=4, seconds=0.5, steps=4))
    assert frames.dtype == np.uint8 and frames.shape[0] == 9


def test_without_sentencepiece_the_failure_names_the_model_and_the_fix(slow_tokenizer_folder, tmp_path):
    """transformers raises a ValueError there, which escaped the old `except OSError`."""
    script = (
        "import sys; sys.modules['sentencepiece'] = None; sys.modules['google.protobuf'] = None\n"
        "from model import ModelUnavailable, load_engine\n"
        f"try:\n    load_engine({str(slow_tokenizer_folder)!r}, data_dir={str(tmp_path)!r})\n"
        "except ModelUnavailable as refused:\n    print('REFUSED', refused)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    refusal = [line for line in result.stdout.splitlines() if line.startswith("REFUSED")]
    assert refusal, result.stderr[-2000:]
    assert refusal[0].startswith("REFUSED Could not load ltx-slow-tokenizer from ")
    assert "sentencepiece and protobuf" in refusal[0] and "REEL_MODEL=tiny-ltx" in refusal[0]


def test_any_load_failure_becomes_one_message(tmp_path):
    built = ensure_tiny_pipeline("tiny-ltx", tmp_path / "models" / "tiny-ltx")
    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    (broken / "transformer" / "config.json").write_text("{ not json")
    with pytest.raises(ModelUnavailable, match=r"^Could not load broken from .*broken: OSError: .*config.*complete diffusers pipeline"):
        load_engine(str(broken), data_dir=tmp_path)


@pytest.mark.process
def test_the_app_stops_at_start_with_that_message(tmp_path):
    built = ensure_tiny_pipeline("tiny-ltx", tmp_path / "models" / "tiny-ltx")
    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    (broken / "transformer" / "config.json").write_text("{ not json")
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_DATA_DIR": str(tmp_path / "data"),
           "REEL_MODEL": str(broken), "GRADIO_ANALYTICS_ENABLED": "False"}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Reel cannot start: Could not load broken from ")
    assert "Traceback" not in result.stderr
