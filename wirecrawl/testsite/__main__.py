"""Command line: `python -m wirecrawl.testsite generate|serve --root DIR ...`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.server import SiteServer
from wirecrawl.testsite.snapshot import write_snapshot


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wirecrawl.testsite",
        description="A local imitation of www.kcna.kp: build a snapshot, or serve one as a proxy.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a snapshot as an HTTP proxy on 127.0.0.1")
    serve.add_argument("--root", type=Path, required=True, help="snapshot folder")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.add_argument("--delay", type=float, default=0.0, help="seconds to wait per response")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    generate = commands.add_parser("generate", help="build a deterministic site and write it")
    generate.add_argument("--root", type=Path, required=True, help="snapshot folder")
    generate.add_argument("--stories", type=int, default=200, help="number of stories")
    generate.add_argument("--categories", type=int, default=10, help="categories, 1 to 10")
    generate.add_argument("--seed", type=int, default=1, help="random seed")
    generate.add_argument("--per-page", type=int, default=15, help="entries per listing page")
    return parser


def _serve(root: Path, port: int, delay: float, verbose: bool) -> int:
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with SiteServer(root, port=port, delay=delay, verbose=verbose) as server:
        # The first line of output is the proxy URL, so a script can read it.
        print(server.proxy_url, flush=True)
        while not stopped.wait(0.5):
            pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args.root, args.port, args.delay, args.verbose)
    site = build_site(args.stories, args.categories, args.seed)
    write_snapshot(site, args.root, per_page=args.per_page)
    print(
        f"wrote {len(site.stories)} stories in {len(site.categories)} categories "
        f"to {args.root} ({args.per_page} per listing page)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
