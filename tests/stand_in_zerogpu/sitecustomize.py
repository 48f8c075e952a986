"""Python imports this module at start-up when its folder is on PYTHONPATH: the ZeroGPU tests start servers that
way. It swaps `spaces.GPU` for a stand-in that does what ZeroGPU does at the edges Reel must handle, with no GPU:
it asks the app's `duration` callable for the seconds (as spaces does, with the GPU function's own arguments),
keeps one wrapper per function and pickles the arguments (as spaces does), and prints what it was asked for and
what spaces would schedule: the duration times the device's `duration_factor` from spaces' own configs.json,
except on the xlarge size (spaces/zero/client.py). REEL_STAND_IN_DEVICE names the device (default: today's
RTX PRO 6000 Blackwell). Then, as REEL_STAND_IN_ZEROGPU says: "quota" refuses every call with spaces' own quota
error built by spaces' own `error` helper (the message format of spaces/zero/client.py); "fail-call-N" makes the
N-th call fail inside the worker with an internal error (the GPU process dying under a shot); "meet-N" holds each
call (at most 8 s) until N calls are inside GPU functions at once, and prints how many it saw, which shows
whether the app lets calls run side by side, as ZeroGPU does, each on its own GPU.
"""

import itertools
import json
import os
import pickle
import threading
import time
from pathlib import Path

import spaces
from spaces.zero.gradio import error

# Like spaces' own `decorated_cache`: decorating a function a second time returns the first wrapper, whatever
# size the second decoration asked for.
decorated = {}
calls = itertools.count(1)
inside = {"now": 0}
inside_changed = threading.Condition()
DEVICE = os.environ.get("REEL_STAND_IN_DEVICE", "NVIDIA RTX PRO 6000 Blackwell Server Edition")
CONFIGS = json.loads((Path(spaces.__file__).parent / "zero" / "configs.json").read_text())
FACTOR = next(config["duration_factor"] for config in CONFIGS if config["model"] == DEVICE)


def meet(count: int) -> int:
    """Wait until `count` calls are inside at once (or 8 s pass); the most seen together."""
    deadline = time.monotonic() + 8
    with inside_changed:
        inside["now"] += 1
        seen = inside["now"]
        inside_changed.notify_all()
        while inside["now"] < count and time.monotonic() < deadline:
            inside_changed.wait(timeout=deadline - time.monotonic())
            seen = max(seen, inside["now"])
        return max(seen, inside["now"])


def leave():
    with inside_changed:
        inside["now"] -= 1
        inside_changed.notify_all()


def GPU(task=None, *, duration=None, size=None):
    def decorate(function):
        if function in decorated:
            return decorated[function]

        def call(*args, **kwargs):
            seconds = duration(*args, **kwargs) if callable(duration) else duration
            scheduled = round(seconds * (1 if size == "xlarge" else FACTOR))
            number = next(calls)
            print(f"stand-in ZeroGPU call: size={size or 'large'} duration={seconds} scheduled={scheduled}", flush=True)
            behaviour = os.environ.get("REEL_STAND_IN_ZEROGPU", "")
            if behaviour == f"fail-call-{number}":
                raise RuntimeError("stand-in: the GPU worker died")
            if behaviour == "quota":
                raise error(
                    "ZeroGPU quota exceeded",
                    f"You have exceeded your free ZeroGPU quota ({scheduled}s requested vs. 2s left). "
                    "Try again in 0:41:12. ",
                )
            # Like spaces: the arguments reach the GPU worker pickled, so anything unpicklable fails here too.
            args, kwargs = pickle.loads(pickle.dumps((args, kwargs)))
            if behaviour.startswith("meet-"):
                together = meet(int(behaviour.removeprefix("meet-")))
                print(f"stand-in ZeroGPU call {number}: {together} inside at once", flush=True)
                try:
                    return function(*args, **kwargs)
                finally:
                    leave()
            return function(*args, **kwargs)

        decorated[function] = call
        return call

    return decorate(task) if callable(task) else decorate


spaces.GPU = GPU
