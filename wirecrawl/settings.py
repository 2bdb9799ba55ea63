"""Scrapy settings for wirecrawl: only what we change from Scrapy's defaults, each with its reason.

Everything here can be overridden per run with ``scrapy crawl kcna -s NAME=value``.
"""

BOT_NAME = "wirecrawl"
SPIDER_MODULES = ["wirecrawl.spiders"]
NEWSPIDER_MODULE = "wirecrawl.spiders"
# Our `scrapy crawl` checks arguments and the database first, holds the archive's lock, and
# exits non-zero on an alarm (wirecrawl/commands/crawl.py).
COMMANDS_MODULE = "wirecrawl.commands"

# Where the archive lives; one SQLite file (-s WIRECRAWL_DB=path to choose another).
WIRECRAWL_DB = "data/wirecrawl.db"
# Rows written per transaction (a story is 2 or 3 rows): a killed crawl loses at most one
# batch (which the next run fetches again). Smaller than a bulk write's (8,000 rows), so that
# a fast crawl writes while it fetches and readers see its stories sooner. The pipeline also
# writes what it holds every WIRECRAWL_FLUSH_SECONDS, whatever the count, and while no story
# comes (a site that stalls), so a slow live crawl loses little.
WIRECRAWL_BATCH_SIZE = 2000
WIRECRAWL_FLUSH_SECONDS = 10.0

# Name the project so the site's operators can tell who is crawling.
USER_AGENT = "wirecrawl/0.1 (archive of news-agency wire stories; Scrapy)"

# Scrapy's own default is False; a polite archive reads robots.txt.
ROBOTSTXT_OBEY = True

# kcna.kp is slow and bans IPs that hammer it: one request at a time, about 2.5 s apart
# (public scrapers of the site use the same pace). Scrapy ignores Crawl-delay, so set it here.
# One request in Scrapy's downloader at a time, too: Scrapy 2.19 starts a site's queued
# requests as asyncio tasks and counts them as under way only once they run, so with no delay
# (-s DOWNLOAD_DELAY=0, a backfill or a replay) an answer set off every queued request at once
# and the site saw up to CONCURRENT_REQUESTS of ours side by side, whatever the per-domain
# limit (tests/test_crawl_kcna.py). The kcna spider reads one site, so this costs it nothing;
# pages of several sites given to kcnawatch are fetched one at a time across them too.
CONCURRENT_REQUESTS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.5  # Scrapy varies it by ±50% (DOWNLOAD_DELAY_JITTER), as a person would

# Pages take 2 to 80 s to arrive; 60 s is what public scrapers of the site settled on.
DOWNLOAD_TIMEOUT = 60

# The site drops requests and answers 5xx under load; retry those and time-outs a few times.
# (Scrapy's retries come at once; a request that still fails is logged and fetched next run.)
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# A story page is ~100 KB; anything past 16 MB is not a story (and bounds a decompression bomb).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# The headers of an answer, which DOWNLOAD_MAXSIZE does not count (the site's are about 1 KB):
# wirecrawl/headerlimit.py.
WIRECRAWL_MAX_HEADER_BYTES = 64 * 1024

# Both default to on in Scrapy 2.19 and both run code inside the process: never open them.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Listing pages 2..N need the session cookie of page 1 (see the spider); cookies stay on.
COOKIES_ENABLED = True

# Proxies come from http_proxy / HTTP_PROXY or meta["proxy"]: the site blocks many networks.
HTTPPROXY_ENABLED = True

# Scrapy starts this many tasks for every response to pass its items through the pipelines
# side by side (default 100). Ours are synchronous, so that bought nothing and cost the crawl's
# thread about a tenth of its time.
CONCURRENT_ITEMS = 1

# The order items go through; the README repeats it. Each pipeline wraps pure functions.
ITEM_PIPELINES = {
    "wirecrawl.pipelines.teasers.TeaserDedupePipeline": 50,
    "wirecrawl.pipelines.text.TextPipeline": 200,
    "wirecrawl.pipelines.store.SQLiteStorePipeline": 900,
}

# One `runs` row per crawl; alarms for blocked pages, total failure, nothing stored. The
# garbage collector's first threshold while the crawl runs (wirecrawl/gcthreshold.py). And
# Scrapy's core stats with the scraped items counted by the log formatter rather than on a
# signal sent for every item (wirecrawl/corestats.py).
EXTENSIONS = {
    "scrapy.extensions.corestats.CoreStats": None,
    "wirecrawl.corestats.CoreStats": 0,
    "wirecrawl.runlog.RunLog": 500,
    "wirecrawl.gcthreshold.GcThreshold": 100,
    "wirecrawl.headerlimit.HeaderLimit": 0,
}
# Python's default is 700, which keeps the collector busy for little while a crawl runs (the
# figures are in wirecrawl/gcthreshold.py). 0: Python's own thresholds.
WIRECRAWL_GC_THRESHOLD = 5000

# Guards against bad downloads (wirecrawl/middlewares.py; docs/reliability.md). Responses pass
# from the highest number down, so 560-588 see them decompressed (590) and before retry (550).
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite check lets dont_filter requests (and their redirects) through: refuse.
    "wirecrawl.middlewares.StayOnSiteMiddleware": 60,
    # A page served as an image or a download is not the page asked for: refuse it.
    "wirecrawl.middlewares.HtmlOnlyMiddleware": 588,
    # Scrapy takes a page cut in transit (no Content-Length, cut gzip) as whole: fetch it again.
    "wirecrawl.middlewares.CompletePageMiddleware": 586,
    # The site is UTF-8 whatever charset it declares: no mojibake stored.
    "wirecrawl.middlewares.Utf8Middleware": 584,
    # Scrapy ignores Retry-After on 429/503: hold requests to the host that long (at most 120 s).
    "wirecrawl.middlewares.RetryAfterMiddleware": 570,
    # Scrapy logs retried download failures at DEBUG only: one WARNING line each, counted.
    "wirecrawl.middlewares.DownloadFailureLogMiddleware": 560,
}
# A body shorter than its Content-Length is a failed download, never a page to store (Scrapy's
# default, set here so that nobody turns it off to silence the errors).
DOWNLOAD_FAIL_ON_DATALOSS = True
# The site does not redirect its pages; a longer chain than this is a loop (Scrapy allows 20,
# each a slow request here).
REDIRECT_MAX_TIMES = 5

# Timestamps and logs in UTC, text as UTF-8.
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy's formatter, but it counts the scraped items (item_scraped_count), and the per-item
# "Scraped from" line is made only at LOG_LEVEL=DEBUG (wirecrawl/logformatter.py).
LOG_FORMATTER = "wirecrawl.logformatter.CountingLogFormatter"
# Scrapy's in-memory stats, without the wrapper Scrapy 2.19 puts around every lookup on them
# (a warning for a deprecated argument; wirecrawl/stats.py).
STATS_CLASS = "wirecrawl.stats.StatsCollector"

# Pages are read (parsed) in one worker process and the archive written in another, while the
# crawl's own thread goes on fetching (wirecrawl/worker.py); False does both in the crawl's
# thread. Unset: on when the machine has more than one CPU.
# WIRECRAWL_WORKERS = True
# The page-reading worker runs at idle priority (Linux's SCHED_IDLE): it takes a CPU only when
# nothing else wants it, so the crawl's thread never waits for it to get off one; pages it is
# slow to read (a busy machine) are read in the crawl's thread instead (wirecrawl/worker.py).
WIRECRAWL_READER_IDLE = True
