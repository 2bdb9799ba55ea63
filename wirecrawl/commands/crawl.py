"""``scrapy crawl``, as wirecrawl runs it: checks first, one writer at a time, honest exit codes.

Before any request: the spider's ``-a`` arguments are checked, the archive's lock is taken,
and the database is opened and migrated (a database from a newer wirecrawl, a corrupt or
unwritable file stops the run, and so does one whose rows cannot be read when the spider reads
what it holds). Exit codes: 0 done; 1 Scrapy could not start the crawl, or the spider failed
while making its first requests; 2 bad arguments or database; 3 the crawl raised an alarm
(see ``wirecrawl.runlog``); 4 the crawl was stopped before its end (Ctrl-C, SIGTERM: Scrapy's
finish reason ``shutdown``); 75 another run holds the archive (try again later).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from wirecrawl.lock import ArchiveBusyError, ArchiveLock
from wirecrawl.spiders.shared import ARCHIVE_UNREADABLE
from wirecrawl.storage import SchemaTooNewError, open_archive

EXIT_BAD_INPUT = 2
EXIT_ALARM = 3
EXIT_STOPPED = 4
EXIT_BUSY = 75


class Command(ScrapyCrawlCommand):
    """Run a spider into the archive (wirecrawl's checks around Scrapy's own command)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name")
        assert self.crawler_process is not None
        assert self.settings is not None
        db_path = self.settings.get("WIRECRAWL_DB")
        crawler = self._create_crawler(args[0])
        check = getattr(crawler.spidercls, "check_arguments", None)
        lock = ArchiveLock(db_path)
        try:
            if check is not None:
                check(**opts.spargs)
        except ValueError as error:
            print(f"wirecrawl: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
            return
        try:
            lock.acquire()
            open_archive(db_path).close()
        except ArchiveBusyError as error:
            print(f"wirecrawl: {error}", file=sys.stderr)
            self.exitcode = EXIT_BUSY
            return
        except (SchemaTooNewError, sqlite3.Error, OSError) as error:
            lock.release()
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            print(f"wirecrawl: cannot use the archive {db_path}: {reason}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
            return
        try:
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            lock.release()
        finish_reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or finish_reason == "start_error":
            # Scrapy could not start the crawl, or the spider failed while making its first
            # requests (the log has its traceback): whatever else happened, not a good run.
            self.exitcode = 1
        elif finish_reason == ARCHIVE_UNREADABLE:
            print(f"wirecrawl: cannot read the archive {db_path} (see the log)", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
        elif crawler.stats is not None and crawler.stats.get_value("wirecrawl/alarms"):
            self.exitcode = EXIT_ALARM
        elif finish_reason == "shutdown":
            # What it stored is kept, and the next run goes on from there; but it did not
            # finish, and cron or systemd must not be told it did.
            self.exitcode = EXIT_STOPPED
