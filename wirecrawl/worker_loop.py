"""The worker process's side of ``wirecrawl.worker``: its loop, run as
``python -m wirecrawl.worker_loop <module>``.

A module of its own so that a worker starts with what it runs and nothing of the crawl's side:
``asyncio`` alone took 70 ms of each worker's start, on the CPU the crawl's thread shares.

A function it runs may leave work for after its answer (``after_answering``): the writing
worker copies each batch from SQLite's write-ahead log into the database there, while the crawl
goes on, instead of all of them when the crawl closes the archive and waits.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from typing import IO, Any

HEADER = struct.Struct("!I")
"""A frame's length, before its pickle."""
IDLE_FLAG = "--idle"
"""On the worker's command line: run at idle priority (``run_when_idle``)."""


def frame(message: Any) -> bytes:
    """``message`` as one frame: its length, then its pickle. The worker's answers go so: the
    crawl's event loop takes in what has arrived, and must know where each answer ends."""
    data = pickled(message)
    return HEADER.pack(len(data)) + data


def pickled(message: Any) -> bytes:
    """``message`` pickled: the crawl's calls go so, one after another, without a length before
    them (the worker's blocking reads find where each ends), so that a frame of pages (128 KB)
    or a batch of rows (several MB) is not copied again behind a length."""
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


_serving = False
_after_answers: list[Callable[[], object]] = []


def in_worker() -> bool:
    """Whether this process is a worker serving a crawl (not the crawl itself)."""
    return _serving


def after_answering(work: Callable[[], object]) -> None:
    """Run ``work`` in this worker once the answers of the frame being run are sent, before the
    next frame is read: work that nobody waits for. Where no worker loop runs (a crawl without
    workers runs the same functions itself), ``work`` is not run."""
    if _serving:
        _after_answers.append(work)


def _run_after_answers() -> None:
    while _after_answers:
        work = _after_answers.pop(0)
        try:
            work()
        except Exception:  # nobody waits for it: said on the worker's stderr, the crawl's log
            traceback.print_exc()


def peak_rss_mib() -> float | None:
    """This process's peak resident memory since it started its program, MiB (``VmHWM``);
    None where /proc does not say. ``getrusage`` would also count the process it was forked
    from, as it was at the fork."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_when_idle() -> None:
    """Put this process in Linux's ``SCHED_IDLE`` class: it then runs only on a CPU that nothing
    else wants, and gives it up at once to any other thread that wakes. Where the system has no
    such class, the process keeps its priority."""
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, os.sched_param(0))


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: read a pickle of calls, run each function it names, write their
    answers as one frame, then what they left to run after it (``after_answering``); until
    EOF. Only this package's functions are run."""
    global _serving
    _serving = True
    while True:
        try:
            calls = pickle.load(requests)
        except (EOFError, pickle.UnpicklingError):
            break  # the end, or the crawl ended in the middle of its calls: nothing to run
        answers.write(frame(("answers", [answer(*call) for call in calls])))
        answers.flush()
        _run_after_answers()
    # The last words, after the last answer: the crawl reports them.
    answers.write(frame(("peak_rss_mib", peak_rss_mib())))
    answers.flush()


def answer(function: Any, args: Any, kwargs: Any) -> tuple[str, Any]:
    """``("ok", function(*args, **kwargs))``, or ``("error", its traceback)``; an error for
    a function not of this package, which is not run."""
    try:
        if not function.__module__.startswith("wirecrawl."):
            raise ValueError(f"not a wirecrawl function: {function!r}")
        return ("ok", function(*args, **kwargs))
    except Exception:  # the crawl raises it as WorkerError, with this text
        return ("error", traceback.format_exc())


if __name__ == "__main__":
    # Ctrl-C goes to the whole process group: the crawl stops, then closes our stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Asked by the crawl (WIRECRAWL_READER_IDLE): before the imports, which then never hold up
    # the crawl's own start either.
    if IDLE_FLAG in sys.argv[1:]:
        run_when_idle()
    # What the crawl will ask for (``wirecrawl.extract`` or ``wirecrawl.writing``), imported
    # before the first call.
    for name in sys.argv[1:]:
        if name.startswith("wirecrawl."):
            importlib.import_module(name)
    # The loop of this module as the functions it runs import it (``after_answering``), not
    # of ``__main__``, a copy of it with state of its own.
    loop = importlib.import_module("wirecrawl.worker_loop")
    loop.serve(sys.stdin.buffer, sys.stdout.buffer)
    # Everything is answered and flushed (and a crawl's archive closed by ``writing.finish``):
    # skip the interpreter's teardown, which took 40-80 ms at the end of every crawl, waited
    # for. A crawl that died before ``finish`` leaves only committed batches behind.
    sys.stderr.flush()
    os._exit(0)
