"""wirecrawl: an archive of news-agency wire stories, built with Scrapy and SQLite."""

import os

# Scrapy's cookie middleware asks tldextract for public suffixes; by default tldextract
# downloads the suffix list from the internet on first use. Its bundled snapshot is enough
# for us, and a crawl must make no request but to the site (or its proxy).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
