"""The crawl's workers (wirecrawl.worker), one reading pages and one writing the archive: real
crawls store the same with them and without them, survive the death of either, and leave
nothing running when killed; the workers' own protocol."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import io
import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, CrawlResult, crawl_command, crawl_env, run_crawl
from wirecrawl import worker as worker_module
from wirecrawl import writing
from wirecrawl.extract import StoryReading, read_fetched_story
from wirecrawl.normalise.article import normalise_article
from wirecrawl.normalise.urls import canonical_url
from wirecrawl.storage import ArchiveRows, article_row, timestamp
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.worker import Worker, WorkerError
from wirecrawl.worker_loop import pickled, serve

FIXTURE = ROOT / "fixtures" / "kcna" / "article-year-boundary" / "page.html"
STORY_COLUMNS = "id, url, title, body, published, dateline, dateline_place, dateline_date, agency"


def stored(result: CrawlResult) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The stories (without timestamps) and the kept pages (url, hash) of a crawl."""
    stories = result.rows(f"SELECT {STORY_COLUMNS}, categories FROM articles ORDER BY id")
    pages = result.rows("SELECT url, sha256, status, encoding FROM pages ORDER BY url")
    return stories, pages


def test_a_crawl_stores_the_same_with_the_worker_and_without_it(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    with_worker = run_crawl(site_server.proxy_url, tmp_path / "worker.db")
    without = run_crawl(
        site_server.proxy_url, tmp_path / "thread.db", "-s", "WIRECRAWL_WORKERS=False"
    )

    assert with_worker.returncode == without.returncode == 0, with_worker.log + without.log
    stories, pages = stored(with_worker)
    assert len(stories) == len(small_site.stories)
    assert len(pages) == len(small_site.stories)
    assert (stories, pages) == stored(without)
    # The worker did the reading in one crawl, and only there.
    assert with_worker.stat("wirecrawl/article/parsed") == len(small_site.stories)
    assert with_worker.stat("wirecrawl/reader/worker_peak_rss_mib") > 10
    assert with_worker.stat("wirecrawl/peak_rss_mib") > 10
    assert with_worker.stat("wirecrawl/writer/worker_peak_rss_mib") > 10
    for worker in ("reader", "writer"):
        assert f"'wirecrawl/{worker}/worker_cpu_seconds'" in with_worker.log
        assert f"'wirecrawl/{worker}/worker_cpu_seconds'" not in without.log


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def worker_of(crawl: subprocess.Popen[str], module: str, timeout: float = 30) -> int:
    """The crawl's worker for ``module`` (``wirecrawl.extract`` reads pages,
    ``wirecrawl.writing`` writes the archive), once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children(crawl.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"wirecrawl.worker_loop" in command and module.encode() in command:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"the crawl started no worker for {module}")


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_crawl(server: SiteServer, db_path: Path, *args: str) -> subprocess.Popen[str]:
    """``scrapy crawl kcna`` through ``server``, as run_crawl runs it, in the background."""
    return subprocess.Popen(
        crawl_command(db_path, *args),
        cwd=ROOT,
        env=crawl_env(server.proxy_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_stories(server: SiteServer, count: int, timeout: float = 60) -> None:
    """Until the server has answered ``count`` story pages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum("/article/detail/" in r.path for r in server.requests) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} story pages were fetched in {timeout} s")


@pytest.mark.parametrize(
    ("module", "name", "prefix"),
    [
        ("wirecrawl.extract", "page-reading", "reader"),
        ("wirecrawl.writing", "writing", "writer"),
    ],
)
def test_a_crawl_whose_worker_dies_does_the_rest_itself(
    tmp_path: Path, small_site: Site, module: str, name: str, prefix: str
) -> None:
    # Each answer takes 50 ms, so the worker is killed in the middle of the story pages; the
    # small batches keep the writing worker busy by then.
    with SiteServer(tmp_path / "site", delay=0.05) as server:
        crawl = start_crawl(server, tmp_path / "archive.db", "-s", "WIRECRAWL_BATCH_SIZE=4")
        worker = worker_of(crawl, module)
        wait_for_stories(server, 10)
        os.kill(worker, signal.SIGKILL)
        log, _ = crawl.communicate(timeout=120)

    result = CrawlResult(crawl.returncode, log, tmp_path / "archive.db")
    assert result.returncode == 0, log
    assert log.count(f"The {name} worker ended") == 1
    assert "Spider error" not in log
    assert "batch_failed" not in log
    stories, pages = stored(result)
    assert {story["id"] for story in stories} == {story.id for story in small_site.stories}
    assert all(story["title"] and story["body"] for story in stories)
    assert len(pages) == len(small_site.stories)
    assert result.stat("wirecrawl/store/new") == len(small_site.stories)
    # Its CPU time is unknown: it did not end when the crawl closed it.
    assert f"'wirecrawl/{prefix}/worker_cpu_seconds'" not in log


def test_a_killed_crawl_leaves_no_worker_running(tmp_path: Path, small_site: Site) -> None:
    with SiteServer(tmp_path / "site", delay=0.05) as server:
        crawl = start_crawl(server, tmp_path / "archive.db")
        workers = [worker_of(crawl, "wirecrawl.extract"), worker_of(crawl, "wirecrawl.writing")]
        wait_for_stories(server, 5)
        crawl.kill()
        crawl.communicate(timeout=30)
        # Their stdin closed with the crawl: the workers end on their own.
        deadline = time.monotonic() + 10
        while any(map(is_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(is_running, workers))


@pytest.mark.parametrize(
    ("args", "reader_policy"),
    [
        pytest.param((), os.SCHED_IDLE, id="idle-by-default"),
        pytest.param(("-s", "WIRECRAWL_READER_IDLE=False"), os.SCHED_OTHER, id="or-normal"),
    ],
)
def test_the_page_reader_runs_at_idle_priority_unless_told_not_to(
    tmp_path: Path, small_site: Site, args: tuple[str, ...], reader_policy: int
) -> None:
    with SiteServer(tmp_path / "site", delay=0.02) as server:
        crawl = start_crawl(server, tmp_path / "archive.db", *args)
        workers = [worker_of(crawl, "wirecrawl.extract"), worker_of(crawl, "wirecrawl.writing")]
        # A worker sets its class as it starts: by the fifth story both have started.
        wait_for_stories(server, 5)
        policies = [os.sched_getscheduler(pid) for pid in workers]
        output, _ = crawl.communicate(timeout=120)

    # The writing worker keeps the crawl's own priority: its batches are waited for.
    assert policies == [reader_policy, os.SCHED_OTHER]
    assert crawl.returncode == 0, output
    assert f"'wirecrawl/store/new': {len(small_site.stories)}" in output
    assert "wirecrawl/reader/read_in_crawl" not in output


def test_the_worker_answers_what_the_function_gives_in_this_thread() -> None:
    body = FIXTURE.read_bytes()
    url = "http://www.kcna.kp/en/article/detail/" + "0" * 32
    fetched_at = dt.datetime(2026, 7, 20, 8, 0, tzinfo=dt.UTC)
    args = (url, 200, body, "utf-8", dt.date(2026, 7, 19), fetched_at)

    async def both() -> tuple[StoryReading, StoryReading]:
        reader = Worker(True, "page-reading", "wirecrawl.extract")
        reader.start()
        try:
            in_worker = await reader.run(read_fetched_story, *args)
        finally:
            usage = await reader.close()
        assert usage is not None
        assert usage.cpu_seconds > 0
        # Its own peak, not that of this (bigger) test process it was started from.
        assert usage.peak_rss_mib is not None
        assert 10 < usage.peak_rss_mib < 150
        in_thread = Worker(False, "page-reading", "wirecrawl.extract")
        return in_worker, await in_thread.run(read_fetched_story, *args)

    in_worker, in_thread = asyncio.run(both())
    assert in_worker == in_thread
    assert in_worker.outcome == "parsed"
    assert in_worker.story is not None
    assert in_worker.story.title


def test_a_stopped_worker_ends_and_later_calls_run_in_this_thread() -> None:
    # A crawl stops its page-reading worker when it goes idle, and waits for it at its close.
    async def stop_then_call() -> None:
        reader = Worker(True, "page-reading", "wirecrawl.extract")
        reader.start()
        assert await reader.run(canonical_url, "HTTP://KCNA.KP/en") == "http://www.kcna.kp/en"
        assert reader._process is not None
        pid = reader._process.pid
        reader.stop()
        reader.stop()  # twice is harmless
        deadline = time.monotonic() + 10
        while is_running(pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not is_running(pid)
        # With the worker gone, only this thread can answer.
        assert await reader.run(canonical_url, "HTTP://KCNA.KP/en") == "http://www.kcna.kp/en"
        usage = await reader.close()
        assert usage is not None
        assert usage.cpu_seconds > 0
        assert usage.peak_rss_mib is not None
        assert await reader.close() is None

    asyncio.run(stop_then_call())


def test_each_batch_the_writing_worker_writes_is_in_the_database_file_soon_after(
    tmp_path: Path,
) -> None:
    # Copied from the write-ahead log once the crawl has the batch's answer (a crawl's close
    # then has only its last batch to copy): a copy of the database file alone holds it.
    db = tmp_path / "archive.db"
    fetched_at = dt.datetime(2026, 7, 20, 8, 0, tzinfo=dt.UTC)
    url = "http://www.kcna.kp/en/article/detail/" + "0" * 32
    reading = read_fetched_story(url, 200, FIXTURE.read_bytes(), "utf-8", None, fetched_at)
    assert reading.story is not None
    rows = ArchiveRows()
    rows.add_article(article_row(normalise_article(reading.story), seen=timestamp(fetched_at)))

    def stories_in_the_file_alone() -> int:
        copy = tmp_path / "copy.db"
        shutil.copyfile(db, copy)
        try:
            with contextlib.closing(sqlite3.connect(copy)) as conn:
                return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.DatabaseError:  # not even the tables yet, or copied mid-checkpoint
            return 0
        finally:
            for path in tmp_path.glob("copy.db*"):
                path.unlink()

    async def write() -> int:
        writer = Worker(True, "writing", "wirecrawl.writing")
        writer.start()
        try:
            assert await writer.run(writing.write_batch, str(db), rows.take()) == {"new": 1}
            deadline = time.monotonic() + 10
            while stories_in_the_file_alone() == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            # The worker is still open, the archive too: nothing has closed it yet.
            assert (tmp_path / "archive.db-wal").exists()
            return stories_in_the_file_alone()
        finally:
            await writer.run(writing.finish, str(db), [])
            await writer.close()

    assert asyncio.run(write()) == 1


@contextlib.asynccontextmanager
async def page_reader() -> AsyncIterator[Worker]:
    """A page-reading worker, started, and closed at the end."""
    reader = Worker(True, "page-reading", "wirecrawl.extract")
    reader.start()
    try:
        yield reader
    finally:
        await reader.close()


def test_an_error_in_the_worker_comes_back_with_its_traceback() -> None:
    async def fail() -> None:
        async with page_reader() as reader:
            with pytest.raises(WorkerError, match=r"(?s)canonical_url failed.*not an absolute"):
                await reader.run(canonical_url, "no scheme, no host")
            # The worker goes on after an error.
            assert await reader.run(canonical_url, "HTTP://KCNA.KP/en") == "http://www.kcna.kp/en"

    asyncio.run(fail())


def test_the_worker_runs_only_wirecrawl_functions() -> None:
    async def refused() -> None:
        async with page_reader() as reader:
            with pytest.raises(WorkerError, match="not a wirecrawl function"):
                await reader.run(os.getcwd)

    asyncio.run(refused())


def test_gathered_calls_wait_for_others_and_each_gets_its_own_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The crawl reads story pages this way. Here a gathered call would wait a minute alone.
    monkeypatch.setattr(worker_module, "GATHER_SECONDS", 60.0)

    async def gathered_then_sent() -> None:
        async with page_reader() as reader:
            urls = [f"HTTP://KCNA.KP/en/{n}" for n in range(5)]
            calls = [asyncio.ensure_future(reader.run_gathered(canonical_url, u)) for u in urls]
            failing = asyncio.ensure_future(reader.run_gathered(canonical_url, "no host"))
            await asyncio.sleep(0.3)
            assert not any(call.done() for call in [*calls, failing])
            # A call made with ``run`` goes at once, and takes the gathered ones with it.
            assert await reader.run(canonical_url, "HTTP://KCNA.KP/x") == "http://www.kcna.kp/x"
            assert await asyncio.gather(*calls) == [f"http://www.kcna.kp/en/{n}" for n in range(5)]
            with pytest.raises(WorkerError, match="not an absolute"):
                await failing
            # As many as GATHER_CALLS go without waiting.
            many = [f"HTTP://KCNA.KP/en/{n}" for n in range(worker_module.GATHER_CALLS)]
            answers = await asyncio.wait_for(
                asyncio.gather(*(reader.run_gathered(canonical_url, u) for u in many)), 20
            )
            assert answers == [canonical_url(u) for u in many]
            # Stopping the worker sends what is gathered before its input closes.
            last = asyncio.ensure_future(reader.run_gathered(canonical_url, "HTTP://KCNA.KP/y"))
            await asyncio.sleep(0.1)
            reader.stop()
            assert await asyncio.wait_for(last, 20) == "http://www.kcna.kp/y"

    asyncio.run(gathered_then_sent())


def test_answers_to_gathered_calls_are_handed_out_one_at_a_time_or_after_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def held(reader: worker_module.Worker, count: int) -> list[asyncio.Future[str]]:
        urls = [f"HTTP://KCNA.KP/en/{n}" for n in range(count)]
        expected = reader.held_answers + count
        calls = [asyncio.ensure_future(reader.run_gathered(canonical_url, u)) for u in urls]
        # Sent with a call made with ``run``, which is answered at once.
        assert await reader.run(canonical_url, "HTTP://KCNA.KP/x") == "http://www.kcna.kp/x"
        deadline = time.monotonic() + 10
        while reader.held_answers < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert reader.held_answers == expected
        return calls

    async def released_one_at_a_time() -> None:
        # The crawl releases one story's reading as each request goes out.
        monkeypatch.setattr(worker_module, "HOLD_SECONDS", 60.0)
        async with page_reader() as reader:
            calls = await held(reader, 3)
            assert not any(call.done() for call in calls)
            reader.release_answer()
            assert await asyncio.wait_for(calls[0], 5) == "http://www.kcna.kp/en/0"
            await asyncio.sleep(0.05)
            assert not calls[1].done()
            assert reader.held_answers == 2
            reader.release_answer()
            assert await asyncio.wait_for(calls[1], 5) == "http://www.kcna.kp/en/1"
            assert not calls[2].done()
            # With no request left to send, the crawl hands out all that is held.
            more = await held(reader, 2)
            assert reader.held_answers == 3
            reader.release_answers()
            assert await asyncio.wait_for(asyncio.gather(calls[2], *more), 5) == [
                "http://www.kcna.kp/en/2",
                "http://www.kcna.kp/en/0",
                "http://www.kcna.kp/en/1",
            ]
            assert reader.held_answers == 0

    async def released_together_when_none_is_asked_for() -> None:
        # Held no longer than HOLD_SECONDS after the last release when nothing releases them.
        monkeypatch.setattr(worker_module, "HOLD_SECONDS", 0.3)
        async with page_reader() as reader:
            calls = await held(reader, 3)
            reader.release_answer()
            released = time.monotonic()
            assert await asyncio.wait_for(calls[0], 5) == "http://www.kcna.kp/en/0"
            assert await asyncio.wait_for(asyncio.gather(*calls[1:]), 5) == [
                "http://www.kcna.kp/en/1",
                "http://www.kcna.kp/en/2",
            ]
            assert time.monotonic() - released >= 0.29
            assert reader.held_answers == 0

    asyncio.run(released_one_at_a_time())
    asyncio.run(released_together_when_none_is_asked_for())


def test_a_frame_of_story_pages_goes_to_the_worker_in_one_write() -> None:
    # Sixteen pages of 10-20 KB: several times what a pipe holds by default (64 KiB), where the
    # rest of the frame would wait in the event loop for the worker to read, 64 KiB at a time.
    page = FIXTURE.read_bytes()
    url = "http://www.kcna.kp/en/article/detail/" + "0" * 32
    # The encoding, the listing's date and the time fetched, after the URL, status and body.
    rest = ("utf-8", dt.date(2026, 7, 19), dt.datetime(2026, 7, 20, 8, 0, tzinfo=dt.UTC))

    async def one_frame() -> None:
        async with page_reader() as reader:
            assert await reader.run(canonical_url, "HTTP://KCNA.KP/en") == "http://www.kcna.kp/en"
            assert reader._process is not None
            # Linux lets any process widen a pipe to 1 MiB (/proc/sys/fs/pipe-max-size).
            for pipe in (reader._process.stdin, reader._process.stdout):
                assert pipe is not None
                assert fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) == worker_module.PIPE_BYTES
            # Sixteen pages of their own (one page sixteen times would be pickled once).
            bodies = [
                page.replace(b"</body>", b"<!--" + b"%d" % n * 10_000 + b"--></body>")
                for n in range(worker_module.GATHER_CALLS)
            ]
            calls = [
                asyncio.ensure_future(
                    reader.run_gathered(read_fetched_story, url, 200, body, *rest)
                )
                for body in bodies
            ]
            await asyncio.sleep(0)  # each call is gathered; the last sends the frame
            assert reader._requests is not None
            assert reader._requests.get_write_buffer_size() == 0
            readings = await asyncio.wait_for(asyncio.gather(*calls), 20)
            assert {reading.story.title for reading in readings if reading.story} == {
                read_fetched_story(url, 200, page, *rest).story.title  # type: ignore[union-attr]
            }
            assert all(reading.outcome == "parsed" for reading in readings)

    asyncio.run(one_frame())


def test_a_gathered_call_that_does_not_pickle_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_module, "GATHER_SECONDS", 0.05)

    async def one_bad() -> None:
        async with page_reader() as reader:
            good = asyncio.ensure_future(reader.run_gathered(canonical_url, "HTTP://KCNA.KP/a"))
            bad = asyncio.ensure_future(reader.run_gathered(canonical_url, lambda: None))
            also_good = asyncio.ensure_future(
                reader.run_gathered(canonical_url, "HTTP://KCNA.KP/b")
            )
            assert await asyncio.wait_for(good, 20) == "http://www.kcna.kp/a"
            assert await asyncio.wait_for(also_good, 20) == "http://www.kcna.kp/b"
            with pytest.raises((pickle.PicklingError, AttributeError)):
                await asyncio.wait_for(bad, 20)
            # The worker goes on.
            assert await reader.run(canonical_url, "HTTP://KCNA.KP/c") == "http://www.kcna.kp/c"

    asyncio.run(one_bad())


def test_gathered_calls_of_a_dead_worker_run_in_this_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_module, "GATHER_SECONDS", 0.5)

    async def worker_killed() -> None:
        async with page_reader() as reader:
            assert await reader.run(canonical_url, "HTTP://KCNA.KP/en") == "http://www.kcna.kp/en"
            call = asyncio.ensure_future(reader.run_gathered(canonical_url, "HTTP://KCNA.KP/z"))
            await asyncio.sleep(0)
            assert reader._process is not None
            reader._process.kill()
            assert await asyncio.wait_for(call, 20) == "http://www.kcna.kp/z"

    asyncio.run(worker_killed())
    assert caplog.text.count("The page-reading worker ended") == 1


@pytest.mark.parametrize("case", ["seed-semantic", "seed-div-soup"])
def test_an_aggregator_story_comes_with_its_teasers(case: str) -> None:
    # The worker reads them with the story, so the crawl's thread never parses the page.
    folder = ROOT / "fixtures" / "aggregator" / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))["teasers"]
    fetched_at = dt.datetime(2025, 12, 2, 6, 0, tzinfo=dt.UTC)
    body = (folder / "page.html").read_bytes()
    url = canonical_url(meta["url"])
    reading = read_fetched_story(url, 200, body, "utf-8", None, fetched_at)
    assert reading.story is not None
    got = [
        {"url": t.url, "text": t.text, "published": t.published and t.published.isoformat()}
        for t in reading.teasers
    ]
    assert got == [
        {key: teaser[key] for key in ("url", "text", "published")} for teaser in expected
    ]
    assert all(t.story_key.startswith("kcnawatch-") for t in reading.teasers)


@pytest.mark.parametrize("kept", [1, 3, 0.5, -5, -1])
def test_calls_cut_short_end_the_worker_quietly(kept: float) -> None:
    # The crawl was killed while it sent a call (a batch of rows, say): nothing is run.
    whole = pickled([(canonical_url, ("HTTP://KCNA.KP/en",), {})])
    cut = whole[: int(len(whole) * kept) if isinstance(kept, float) else kept]
    answers = io.BytesIO()
    serve(io.BytesIO(whole + cut), answers)
    answers.seek(0)
    replies = []
    while header := answers.read(4):
        replies.append(pickle.loads(answers.read(int.from_bytes(header, "big"))))
    assert replies[0] == ("answers", [("ok", "http://www.kcna.kp/en")])
    assert [reply[0] for reply in replies] == ["answers", "peak_rss_mib"]


def test_a_page_reader_starved_of_cpu_hands_its_pages_back_to_the_crawl(
    tmp_path: Path, small_site: Site
) -> None:
    # The crawl and a busy loop share one CPU: the idle-priority page reader gets next to
    # nothing of it, and the crawl reads the pages itself instead of waiting for it.
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(busy.pid, {0})
        with SiteServer(tmp_path / "site") as server:
            result = run_crawl(
                server.proxy_url,
                tmp_path / "archive.db",
                "-s",
                "WIRECRAWL_WORKERS=True",
                launcher=("taskset", "-c", "0"),
            )
    finally:
        busy.kill()
        busy.wait()

    assert result.returncode == 0, result.log
    assert result.stat("wirecrawl/store/new") == len(small_site.stories)
    assert result.stat("wirecrawl/reader/read_in_crawl") > 0
    assert "The page-reading worker is behind" in result.log
