"""The benchmark's table, the machine it ran on, and its section of ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import sqlite3
from dataclasses import dataclass
from pathlib import Path

START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One line of the table."""

    measure: str
    size: str
    result: str
    goal: str = ""
    met: bool | None = None
    """None when the line has no goal."""


def number(value: float, digits: int = 0) -> str:
    """``12,345`` or ``1.23``: thousands separated."""
    return f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| Measure | Size | Result | Goal | Met |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.measure} | {row.size} | {row.result} | {row.goal} | {met} |")
    return "\n".join(lines)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1-minute load average: other work on the machine makes every figure slower."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def machine() -> list[str]:
    """Facts about the machine and the software, one Markdown list item each."""
    return [
        f"CPUs (`nproc`): {len(os.sched_getaffinity(0))} ({_cpu_model()})",
        f"Memory: {_memory_gib()}",
        f"Python {platform.python_version()}, Scrapy {_version('scrapy')}, "
        f"SQLite {sqlite3.sqlite_version}, lxml {_version('lxml')}, parsel {_version('parsel')}, "
        f"sqlite-utils {_version('sqlite-utils')}, datasette {_version('datasette')}, "
        f"trafilatura {_version('trafilatura')}",
        f"{platform.system()} {platform.release()}",
    ]


def section(
    rows: list[Row], *, command: str, seconds: float, notes: list[str], load: tuple[str, str]
) -> str:
    """The generated part of ``docs/benchmarks.md``, between its marks."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes, rest = divmod(round(seconds), 60)
    lines = [
        START_MARK,
        "## Latest run",
        "",
        f"{command}, {now}; the whole run took {minutes} min {rest} s.",
        "",
        *(f"- {fact}" for fact in machine()),
        f"- Load average (1 min) at start and end: {load[0]} and {load[1]} "
        "(other work on the machine slows every figure)",
        "",
        table(rows),
        "",
        "How each figure was taken:",
        "",
        *(f"- {note}" for note in notes),
        END_MARK,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, generated: str) -> None:
    """Put ``generated`` between the marks of ``path``, keeping everything else in the file."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if START_MARK in text and END_MARK in text:
            before, _, rest = text.partition(START_MARK)
            _, _, after = rest.partition(END_MARK)
            text = before + generated.rstrip("\n") + after
        else:
            text = text.rstrip("\n") + "\n\n" + generated
    else:
        text = "# Benchmarks\n\nWritten by `make bench` (`bench/`).\n\n" + generated
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
