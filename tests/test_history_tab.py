"""The History tab's own handlers (what the page's buttons call), with two holders: each sees only their videos,
and an id of the other's, left in the page's state or guessed, is refused like an unknown one. In-process, with
the real store; admission is a stand-in that maps each token to its holder."""

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from access import AccessDenied, Grant
from history import HistoryStore
from model import encode_mp4
from ui.studio.history_actions import NOT_FOUND_MESSAGE, HistoryActions


class StandInRuntime(SimpleNamespace):
    def admit(self, access_token, profile, request):
        if access_token not in self.holders:
            raise AccessDenied("That access token is not valid.")
        return Grant(self.holders[access_token])


def clip(folder: Path, name: str, colour: int) -> Path:
    frames = np.full((9, 64, 64, 3), colour, dtype=np.uint8)
    return encode_mp4(frames, 24, folder / f"{name}.mp4", {"model": "tiny-ltx2"}, preset="ultrafast")


@pytest.fixture
def tab(tmp_path):
    store = HistoryStore(tmp_path / "data")
    runtime = StandInRuntime(history=store, output_dir=tmp_path / "clips", holders={"t-alice": "alice", "t-bob": "bob"})
    for number, holder in enumerate(["alice", "alice", "bob"]):
        manifest = {"model": "tiny-ltx2", "prompt": f"{holder} {number}", "seed": number, "num_frames": 9, "fps": 24}
        store.add(holder, clip(tmp_path, f"{holder}-{number}", 40 * number), manifest, "clip")
    return HistoryActions(runtime, reproductions=None)


def select(index: int) -> gr.SelectData:
    return gr.SelectData(None, {"index": index, "value": None})


def test_each_holder_is_shown_only_their_own_videos(tab):
    gallery, shown, *_ = tab.show("t-alice", None, None)
    assert len(gallery) == 2 and [caption.split(" · ")[-1] for _, caption in gallery] == ["alice 1", "alice 0"]
    bobs_gallery, bobs_shown, *_ = tab.show("t-bob", None, None)
    assert [caption.split(" · ")[-1] for _, caption in bobs_gallery] == ["bob 2"]
    assert not set(shown) & set(bobs_shown)
    for path, _ in gallery:  # copies in the clips folder, never the stored files themselves
        assert Path(path).parent == tab.runtime.output_dir


def test_an_id_of_another_holder_in_the_page_state_is_refused(tab):
    _, alices, *_ = tab.show("t-alice", None, None)
    with pytest.raises(gr.Error, match=NOT_FOUND_MESSAGE):
        tab.select(alices, "t-bob", select(0), None, None)  # bob's token, alice's ids left in the page
    for handler in (tab.delete_selected, tab.start_image):
        with pytest.raises(gr.Error, match=NOT_FOUND_MESSAGE):
            handler(alices[0], "t-bob", None, None)
    with pytest.raises(gr.Error, match=NOT_FOUND_MESSAGE):
        tab.history_video("t-bob", "f" * 32)
    assert len(tab.runtime.history.list("alice")) == 2  # nothing of alice's was touched


def test_select_shows_the_video_and_start_image_gives_its_last_frame(tab):
    _, shown, *_ = tab.show("t-alice", None, None)
    player, about, selected, manifest = tab.select(shown, "t-alice", select(1), None, None)
    assert selected == shown[1] and "alice 0" in about and manifest["prompt"] == "alice 0"
    picture = tab.start_image(shown[0], "t-alice", None, None)  # the tab switch is the History tab's wiring
    assert picture.size == (64, 64) and abs(np.asarray(picture).mean() - 40) < 3  # alice 1 was grey level 40


def test_delete_removes_it_and_refreshes_the_gallery(tab):
    _, shown, *_ = tab.show("t-alice", None, None)
    stored = tab.runtime.history.path("alice", shown[0])
    gallery, remaining, *_ = tab.delete_selected(shown[0], "t-alice", None, None)
    assert len(gallery) == 1 and remaining == shown[1:] and not stored.exists()


def test_a_wrong_token_is_refused(tab):
    with pytest.raises(gr.Error, match="not valid"):
        tab.show("t-mallory", None, None)


def test_the_api_pages_newest_first(tab):
    first = tab.history("t-alice", limit=1)
    assert [item["prompt"] for item in first["items"]] == ["alice 1"] and first["next_before"]
    second = tab.history("t-alice", limit=1, before=first["next_before"])
    assert [item["prompt"] for item in second["items"]] == ["alice 0"] and second["next_before"] is None
    for bad in (0, 101, 2.5, True):
        with pytest.raises(gr.Error, match="limit must be a whole number from 1 to 100"):
            tab.history("t-alice", limit=bad)
