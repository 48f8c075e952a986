"""Python imports this module at start-up when its folder is on PYTHONPATH: the ZeroGPU tests start servers that
way. It swaps `spaces.GPU` for a stand-in that does what ZeroGPU does at the edges Reel must handle, with no GPU:
it asks the app's `duration` callable for the seconds (as spaces does, with the GPU function's own arguments),
keeps one wrapper per function and pickles the arguments (as spaces does), prints what it was asked for, and
then, as
REEL_STAND_IN_ZEROGPU says: "quota" refuses every call with spaces' own quota error built by spaces' own `error`
helper (the message format of spaces/zero/client.py); "fail-call-N" makes the N-th call fail inside the worker
with an internal error (the GPU process dying under a shot).
"""

import itertools
import os
import pickle

import spaces
from spaces.zero.gradio import error


# Like spaces' own `decorated_cache`: decorating a function a second time returns the first wrapper, whatever
# size the second decoration asked for.
decorated = {}
calls = itertools.count(1)


def GPU(task=None, *, duration=None, size=None):
    def decorate(function):
        if function in decorated:
            return decorated[function]

        def call(*args, **kwargs):
            seconds = duration(*args, **kwargs) if callable(duration) else duration
            number = next(calls)
            print(f"stand-in ZeroGPU call: size={size or 'large'} duration={seconds}", flush=True)
            behaviour = os.environ.get("REEL_STAND_IN_ZEROGPU", "")
            if behaviour == f"fail-call-{number}":
                raise RuntimeError("stand-in: the GPU worker died")
            if behaviour == "quota":
                raise error(
                    "ZeroGPU quota exceeded",
                    f"You have exceeded your free ZeroGPU quota ({seconds}s requested vs. 2s left). "
                    "Try again in 0:41:12. ",
                )
            # Like spaces: the arguments reach the GPU worker pickled, so anything unpicklable fails here too.
            args, kwargs = pickle.loads(pickle.dumps((args, kwargs)))
            return function(*args, **kwargs)

        decorated[function] = call
        return call

    return decorate(task) if callable(task) else decorate


spaces.GPU = GPU
