"""Sound tracks: what a model with audio returns beside its frames, fitted to the video it belongs to.

A track is float samples in [-1, 1], (channels, samples), at its own sample rate. It is always cut or padded to
exactly the video's length before it is written, so picture and sound end together; storyboards join the tracks
of their shots the same way they join the frames (a continued shot drops the same span from both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# Joined tracks meet with a short fade out and in, so a cut does not click; 5 ms each side is below what reads as
# a fade, and it keeps every sample where it was (sound stays in sync with the frames).
EDGE_FADE_SECONDS = 0.005

@dataclass(frozen=True)
class SoundTrack:
    samples: np.ndarray  # float32 (channels, samples) in [-1, 1]
    sample_rate: int

    def __post_init__(self):
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[None]
        if samples.ndim != 2 or samples.shape[0] not in (1, 2) or self.sample_rate <= 0:
            raise ValueError(f"a sound track is (1 or 2 channels, samples) at a positive rate, got {samples.shape}")
        object.__setattr__(self, "samples", np.ascontiguousarray(np.clip(samples, -1.0, 1.0)))

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def samples_for(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))

    def fitted(self, seconds: float) -> SoundTrack:
        """Exactly `seconds` long: cut at the end, or padded with silence (a vocoder's length is a few samples
        off the video's)."""
        wanted = self.samples_for(seconds)
        have = self.samples.shape[1]
        if have == wanted:
            return self
        if have > wanted:
            return SoundTrack(self.samples[:, :wanted], self.sample_rate)
        padding = np.zeros((self.channels, wanted - have), dtype=np.float32)
        return SoundTrack(np.concatenate([self.samples, padding], axis=1), self.sample_rate)

    def without_first(self, seconds: float) -> SoundTrack:
        """The track after its first `seconds` (the span a continued shot drops with its overlap frames)."""
        return SoundTrack(self.samples[:, self.samples_for(seconds):], self.sample_rate)


def join_sound(tracks: list[SoundTrack]) -> SoundTrack:
    """One track from consecutive pieces at one rate, as long as all of them together, each cut softened by a
    fade out and a fade in of EDGE_FADE_SECONDS. Mono pieces are widened when any piece is stereo."""
    if not tracks:
        raise ValueError("nothing to join")
    rate = tracks[0].sample_rate
    if any(track.sample_rate != rate for track in tracks):
        raise ValueError("sound tracks to join must share one sample rate")
    channels = max(track.channels for track in tracks)
    pieces = [np.broadcast_to(track.samples, (channels, track.samples.shape[1])).copy() for track in tracks]
    fade = int(round(EDGE_FADE_SECONDS * rate))
    for number, piece in enumerate(pieces):
        span = min(fade, piece.shape[1])
        if not span:
            continue
        ramp = np.linspace(0.0, 1.0, span, endpoint=False, dtype=np.float32)
        if number > 0:
            piece[:, :span] *= ramp
        if number < len(pieces) - 1:
            piece[:, -span:] *= ramp[::-1]
    return SoundTrack(np.concatenate(pieces, axis=1), rate)

def audio_tensor_to_track(audio, sample_rate: int) -> SoundTrack:
    """A pipeline's audio output (a tensor or array of (channels, samples), maybe with a batch axis first) as a
    SoundTrack, moved off the GPU."""
    if isinstance(audio, (list, tuple)):
        audio = audio[0]
    if isinstance(audio, torch.Tensor):
        audio = audio.detach().float().cpu().numpy()
    audio = np.asarray(audio, dtype=np.float32)
    while audio.ndim > 2:
        audio = audio[0]
    return SoundTrack(audio, int(sample_rate))
