"""Worker processes of a crawl: one reads the pages, one writes the archive, so that the
crawl's own thread only fetches.

A Scrapy crawl runs its engine, its downloads, the spiders' callbacks and the item pipelines
on one thread. Reading a page (decoding and parsing the HTML, finding the headline and the
paragraphs, or a listing's entries and form) costs that thread about as much as fetching it,
and while it reads, no request goes out and no answer is taken in. Writing SQLite on a thread
of the same process does not free it either: that thread takes Python's lock around every
statement, and the crawl's thread waits for it each time. So a crawl starts two workers
(``python -m wirecrawl.worker_loop``, started and stopped with it): the spiders hand page
reading to one (``wirecrawl.extract``), the store pipeline hands batches of rows to the other
(``wirecrawl.writing``), and each awaits the result while the engine goes on fetching. A
crawl that the site's pace does not hold back (a backfill, a replay of the offline snapshot)
then takes little more than its requests. ``WIRECRAWL_WORKERS`` turns them off (the same
functions then run in the crawl's thread); unset, they are on when the machine has more than
one CPU.

A worker runs functions of this package, the same ones a crawl without workers runs itself
and ``wirecrawl reparse`` shares, so a page reads and a batch writes the same either way;
normalising stays in the crawl's pipelines. It talks over its stdin and stdout (pickles of
calls in, frames of a length and a pickle of answers out; both ends are ours and the pipes
private), answers in order, runs only this package's functions, ignores Ctrl-C (the crawl
stops it when it goes idle or closes) and exits when its stdin closes, which also happens
when the crawl is killed (a batch being written is then finished or, killed too, rolled back
by SQLite). If a worker dies, the crawl logs it once and runs the remaining calls itself. The
worker's own side, its loop, is ``wirecrawl.worker_loop``.

The page-reading worker runs at idle priority (``WIRECRAWL_READER_IDLE``, on by default;
Linux's ``SCHED_IDLE``): it then uses a CPU only when nothing else wants it, and gives it up
the moment the crawl's thread, or anything else, wakes. No request waits for a story's
reading, while every moment the crawl's thread waits for a CPU is a moment without a request
out: in a crawl that the site does not hold back, the crawl's waits for a CPU went from
0.08-0.15 s to 0.02-0.05 s, and the crawl took about 5% less time (docs/benchmarks.md, tenth
pass; the writing worker at idle priority gained nothing, and stays at the crawl's own). On a
machine kept busy by other work, the kernel gives an idle worker only a sliver of a CPU: a
frame of calls that the worker has not answered within ``LAG_SECONDS`` is then read in the
crawl's thread, and so is every later call until the worker has answered all it was sent
(``wirecrawl/reader/read_in_crawl`` counts them; its late answers are dropped, and at the end
it is stopped without waiting for them). ``-s WIRECRAWL_READER_IDLE=False`` runs it at the
crawl's own priority.

A frame carries a list of calls, and its answer the list of their results. ``Worker.run``
sends its call at once (with any gathered before it); ``Worker.run_gathered`` lets calls wait
up to ``GATHER_SECONDS`` for others, ``GATHER_CALLS`` at most, and sends them together. The
crawl reads story pages that way (nothing waits on a story's reading but its items), and
listing pages at once (the next requests come from them). In a crawl that the site does not
hold back, the worker then wakes once for several pages instead of once a page, and the
crawl's thread sends and takes in a frame for several: in a 2,000-story crawl the page-reading
worker's CPU went from 2.17 s to 1.76 s (docs/benchmarks.md, seventh pass). A live crawl
fetches a page every few seconds: its story pages are read 25 ms later than they would have
been, and the requests do not wait for them.

The answers to gathered calls are held, and handed out one at a time by ``release_answer``,
which the crawl calls as each request goes out (or all together after ``HOLD_SECONDS``). The
crawl sends one request at a time and, with nothing else to do, its thread would wait for each
answer of the site; a story's items then go through the pipelines in that wait, instead of
sixteen at a time between two requests. In a crawl that the site does not hold back this took
about 4% off the crawl's time (docs/benchmarks.md, tenth pass).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from wirecrawl.worker_loop import HEADER, IDLE_FLAG, pickled
from wirecrawl.worker_loop import answer as answer_here

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
GATHER_SECONDS = 0.025
"""How long ``Worker.run_gathered`` lets a call wait for others before it is sent."""
GATHER_CALLS = 16
"""Calls that ``Worker.run_gathered`` sends together at most."""
LAG_SECONDS = 0.5
"""How long an idle-priority worker may leave a frame unanswered before the crawl's thread runs
its calls itself."""
HOLD_SECONDS = 0.005
"""How long answers to gathered calls are held when ``Worker.release_answer`` is not called."""
PIPE_BYTES = 1 << 20
"""What each of a worker's pipes holds, where Linux lets a pipe be widened (``F_SETPIPE_SZ``;
64 KiB by default, and 1 MiB Linux's default limit for an unprivileged process): a frame of
story pages (about 125 KB) or a batch of rows (several MB) then goes in one write or a few,
instead of one per 64 KiB, each a turn of the crawl's event loop with two system calls to
watch the pipe."""
_Calls = list[tuple[tuple[Callable[..., Any], Any, Any], asyncio.Future[Any]]]
"""Calls (function, args, kwargs) for the worker, each with the future of its answer."""
# Where ``python -m wirecrawl.worker_loop`` finds the package, installed or not.
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class WorkerUsage:
    """What the worker process used, from the kernel when it exited."""

    cpu_seconds: float
    peak_rss_mib: float | None
    """Its peak resident memory, MiB, as it said at its end (None if it could not): the
    crawl's own peak does not include it."""


class WorkerError(Exception):
    """The function raised in the worker; the message holds the worker's traceback."""


class _WorkerGoneError(Exception):
    """The worker process ended before it answered."""


def idle_reader(settings: Any) -> bool:
    """Whether a crawl with these Scrapy settings runs its page-reading worker at idle priority:
    ``WIRECRAWL_READER_IDLE``, on when unset."""
    return bool(settings.getbool("WIRECRAWL_READER_IDLE", True))


def use_workers(settings: Any) -> bool:
    """Whether a crawl with these Scrapy settings runs its workers: ``WIRECRAWL_WORKERS``, or
    when unset, whether the machine has more than one CPU (a worker only helps when it has a
    CPU of its own)."""
    if settings.get("WIRECRAWL_WORKERS") is None:
        return (os.cpu_count() or 1) > 1
    return bool(settings.getbool("WIRECRAWL_WORKERS"))


class _Answers(asyncio.Protocol):
    """Reads the worker's framed answers from its stdout and hands them out in order; answers
    to the futures in ``to_hold`` are held, and handed out by ``release_one`` or, when none was
    asked for in ``HOLD_SECONDS``, all together."""

    def __init__(self) -> None:
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.to_hold: set[asyncio.Future[Any]] = set()
        self.held: collections.deque[tuple[asyncio.Future[Any], Any]] = collections.deque()
        self._release_all: asyncio.TimerHandle | None = None
        self._last_release = 0.0
        """The event loop's time of the last ``release_one`` (or of the first answer held)."""
        self.buffer = bytearray()
        self.ended = asyncio.Event()
        """Set when the worker's output ends: it has exited (or is dying)."""
        self.peak_rss_mib: float | None = None
        """What the worker says of its memory at the end, after its last answer."""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buffer)
            end = HEADER.size + size
            if len(self.buffer) < end:
                return
            # Read in place, not from a copy of the frame.
            view = memoryview(self.buffer)
            try:
                kind, content = pickle.loads(view[HEADER.size : end])
            finally:
                view.release()
            del self.buffer[:end]
            if kind == "peak_rss_mib":
                self.peak_rss_mib = content
                continue
            holding = bool(self.held)
            for answer in content:
                future = self.waiting.popleft()
                if future in self.to_hold:
                    self.to_hold.discard(future)
                    self.held.append((future, answer))
                elif not future.done():
                    future.set_result(answer)
            if self.held and not holding:
                # The hold starts now: counted as a release, for ``_hold_expired``.
                loop = asyncio.get_running_loop()
                self._last_release = loop.time()
                if self._release_all is None:
                    self._release_all = loop.call_later(HOLD_SECONDS, self._hold_expired)

    def release_one(self) -> None:
        """Hand out the oldest answer held (to a call not run elsewhere meanwhile)."""
        while self.held:
            future, answer = self.held.popleft()
            if not future.done():
                future.set_result(answer)
                break
        # The timer is not moved here (one for every release cost the crawl's thread more than
        # the release): when it fires, it looks at the time of the last release.
        self._last_release = asyncio.get_running_loop().time()

    def _hold_expired(self) -> None:
        """The timer of the answers held: all of them handed out when none was released for
        ``HOLD_SECONDS``, else the timer set again for ``HOLD_SECONDS`` after the last release."""
        self._release_all = None
        if not self.held:
            return
        loop = asyncio.get_running_loop()
        due = self._last_release + HOLD_SECONDS
        if loop.time() >= due:
            self.release_all()
        else:
            self._release_all = loop.call_at(due, self._hold_expired)

    def release_all(self) -> None:
        """Hand out every answer held."""
        if self._release_all is not None:
            self._release_all.cancel()
            self._release_all = None
        while self.held:
            future, answer = self.held.popleft()
            if not future.done():
                future.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.release_all()
        self.to_hold.clear()
        self.ended.set()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(_WorkerGoneError())


class Worker:
    """Runs functions of this package in a worker process when ``use_worker``, else in this
    thread. ``name`` is what the log calls it (``page-reading``, ``writing``); ``module``
    (of this package) is imported by the worker when it starts, before the first call. With
    ``idle`` the worker runs at idle priority (``SCHED_IDLE``, where the system has it), and
    the calls it is slow to answer are run in this thread: only for functions that may run
    twice (reading pages, not writing them)."""

    def __init__(self, use_worker: bool, name: str, module: str, *, idle: bool = False) -> None:
        self.use_worker = use_worker
        self.name = name
        self.module = module
        self.idle = idle
        self.read_in_crawl = 0
        """Calls run in this thread because the idle worker was behind."""
        self._lagging = False
        self._process: subprocess.Popen[bytes] | None = None
        self._answers = _Answers()
        self._requests: asyncio.WriteTransport | None = None
        self._connected: asyncio.Task[None] | None = None
        self._failed = False
        self._stopped = False
        self._gathered: _Calls = []
        self._gathering: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start the worker; it imports what it runs while the crawl starts up."""
        if not self.use_worker or self._process is not None:
            return
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "wirecrawl.worker_loop", self.module]
        if self.idle:
            command.append(IDLE_FLAG)
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        _widen(self._process.stdin)
        _widen(self._process.stdout)

    async def _connect(self) -> None:
        """Attach the worker's pipes to the event loop (once, at the first call)."""
        assert self._process is not None
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: self._answers, self._process.stdout)
        self._requests, _ = await loop.connect_write_pipe(asyncio.Protocol, self._process.stdin)

    async def run(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``function(*args, **kwargs)``, in the worker when there is one. ``function`` is one
        of this package's module-level functions (the worker finds it by name); its arguments
        and result are sent by pickle. The call is sent at once, with the calls gathered
        before it."""
        return await self._call(False, function, args, kwargs)

    async def run_gathered(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``run``, but the call may wait up to ``GATHER_SECONDS`` for others (``GATHER_CALLS``
        at most), to be sent and answered with them; and its answer is held until
        ``release_answer`` hands it out (or for ``HOLD_SECONDS`` at most)."""
        return await self._call(True, function, args, kwargs)

    async def _call(self, gather: bool, function: Callable[..., _T], args: Any, kwargs: Any) -> _T:
        process = self._process
        if process is None or self._failed or self._stopped:
            return function(*args, **kwargs)
        if self._behind():
            self.read_in_crawl += 1
            return function(*args, **kwargs)
        if self._connected is None:
            self._connected = asyncio.ensure_future(self._connect())
        await self._connected
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        try:
            if self._answers.ended.is_set():
                raise _WorkerGoneError()
            self._gathered.append(((function, args, kwargs), future))
            if gather:
                self._answers.to_hold.add(future)
            if not gather or len(self._gathered) >= GATHER_CALLS:
                self._send()
            elif self._gathering is None:
                self._gathering = asyncio.get_running_loop().call_later(GATHER_SECONDS, self._send)
            status, value = await future
        except _WorkerGoneError:
            if not self._failed:
                self._failed = True
                logger.error(
                    "The %s worker ended (exit status %s); the crawl does its work itself "
                    "from now on",
                    self.name,
                    process.poll(),
                )
            return function(*args, **kwargs)
        if status == "error":
            raise WorkerError(f"{function.__name__} failed in the {self.name} worker:\n{value}")
        return value  # type: ignore[no-any-return]

    def _send(self) -> None:
        """Send the gathered calls in one frame (each alone when one does not pickle); they
        fail as the worker's end when it has ended (their callers then run them in this
        thread)."""
        if self._gathering is not None:
            self._gathering.cancel()
            self._gathering = None
        gathered, self._gathered = self._gathered, []
        if not gathered:
            return
        if self._behind():
            self._run_here(gathered)
            return
        requests = self._requests
        if requests is None or requests.is_closing() or self._answers.ended.is_set():
            for _call, future in gathered:
                self._answers.to_hold.discard(future)
                if not future.done():
                    future.set_exception(_WorkerGoneError())
            return
        try:
            frames = [(pickled([call for call, _future in gathered]), [f for _c, f in gathered])]
        except Exception:
            # Arguments that do not pickle: each call goes alone, and that one's caller gets
            # the error, as from a call sent at once.
            frames = []
            for call, future in gathered:
                try:
                    frames.append((pickled([call]), [future]))
                except Exception as error:
                    self._answers.to_hold.discard(future)
                    if not future.done():
                        future.set_exception(error)
        for data, futures in frames:
            self._answers.waiting.extend(futures)
            requests.write(data)
        if self.idle and frames:
            # The calls (pages and all) are kept for the check only until they are answered.
            frames[-1][1][-1].add_done_callback(lambda _future: gathered.clear())
            asyncio.get_running_loop().call_later(LAG_SECONDS, self._take_over, gathered)

    @property
    def held_answers(self) -> int:
        """Answers to gathered calls held back (``release_answer``)."""
        return len(self._answers.held)

    def release_answer(self) -> None:
        """Hand out the oldest answer held to a gathered call (``run_gathered``): the crawl
        calls this as each request goes out, so that the items of one story page go through
        the pipelines while the site answers the next request."""
        self._answers.release_one()

    def release_answers(self) -> None:
        """Hand out every answer held: the crawl has no more requests to send."""
        self._answers.release_all()

    def _take_over(self, sent: _Calls) -> None:
        """Run here the calls of a frame sent ``LAG_SECONDS`` ago that the worker has not answered
        yet, and every call after them until it has answered all it was sent."""
        if self._failed or all(future.done() for _call, future in sent):
            return
        if not self._lagging and not self.read_in_crawl:
            logger.warning(
                "The %s worker is behind (a busy machine leaves its idle priority little CPU): "
                "the crawl runs its calls itself until it catches up",
                self.name,
            )
        self._lagging = True
        self._run_here(sent)

    def _behind(self) -> bool:
        """Whether the worker is behind: its calls run here until it has answered all it was
        sent."""
        if self._lagging and not self._answers.waiting:
            self._lagging = False  # it has caught up
        return self._lagging

    def _run_here(self, calls: _Calls) -> None:
        """Answer ``calls`` from this thread, as the worker would have."""
        for (function, args, kwargs), future in calls:
            self._answers.to_hold.discard(future)
            if not future.done():
                self.read_in_crawl += 1
                future.set_result(answer_here(function, args, kwargs))

    def stop(self) -> None:
        """Ask the worker to end: its stdin closes, it answers the calls sent before and
        exits. Calls made after this run in this thread; ``close`` waits for the end."""
        process = self._process
        if process is None or self._stopped:
            return
        self._stopped = True
        if self._requests is not None:
            self._send()
            self._requests.close()
        elif process.stdin is not None:
            process.stdin.close()

    async def close(self) -> WorkerUsage | None:
        """Stop the worker and wait until it has exited (killed if it has not within 10 s).
        Returns what it used, or None when there was no worker (or it died before, or was
        killed for being behind)."""
        process = self._process
        if process is None:
            return None
        self.stop()
        self._process = None
        if self._failed:
            # It died during the crawl (logged then): what it used is not known.
            process.kill()
            process.wait()
            return None
        waiting = self._answers.waiting
        if self.idle and waiting and all(future.done() for future in waiting):
            # Behind, and all it still owes was run here: its answers would be dropped. Killed,
            # and not waited for: starved of CPU, it may take a second to get the CPU its end
            # needs. What it used is not known.
            process.kill()
            return None
        deadline = time.monotonic() + 10
        if self._connected is not None:
            # Its output ends as it exits, after its last words (its peak memory).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answers.ended.wait(), timeout=10)
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                return WorkerUsage(
                    cpu_seconds=usage.ru_utime + usage.ru_stime,
                    peak_rss_mib=self._answers.peak_rss_mib,
                )
            await asyncio.sleep(0.002)
        logger.warning("The %s worker did not exit; killing it", self.name)
        process.kill()
        process.wait()
        return None


def _widen(pipe: IO[bytes] | None) -> None:
    """Make ``pipe`` hold ``PIPE_BYTES`` where the system lets it; else it stays as it is."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if pipe is None or setsize is None:
        return
    with contextlib.suppress(OSError):  # over the system's limit for pipes: left as it is
        fcntl.fcntl(pipe.fileno(), setsize, PIPE_BYTES)


def record_usage(stats: Any, prefix: str, usage: WorkerUsage | None) -> None:
    """Put what a worker used in the crawl's stats: ``<prefix>/worker_cpu_seconds`` and
    ``<prefix>/worker_peak_rss_mib`` (nothing when it had no worker or died before)."""
    if usage is None:
        return
    stats.set_value(f"{prefix}/worker_cpu_seconds", round(usage.cpu_seconds, 2))
    if usage.peak_rss_mib is not None:
        stats.set_value(f"{prefix}/worker_peak_rss_mib", round(usage.peak_rss_mib))
