"""Scrapy settings for newsspider. Own settings carry the NEWSSPIDER_ prefix (see README)."""

from newsspider.sites import bannedbook

BOT_NAME = "newsspider"
SPIDER_MODULES = ["newsspider.spiders"]
NEWSPIDER_MODULE = "newsspider.spiders"

USER_AGENT = "newsspider/1.0 (+https://github.com/newsspider/newsspider)"
ROBOTSTXT_OBEY = True

# Polite by default against the real site; the offline demo lifts the delays for loopback.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

ITEM_PIPELINES = {
    "newsspider.pipelines.CleaningPipeline": 100,
    "newsspider.pipelines.ValidationPipeline": 200,
    "newsspider.pipelines.DeduplicationPipeline": 300,
}

FEED_EXPORT_ENCODING = "utf-8"
# Where records go when no feed is given (-o/-O, FEEDS); "" for nowhere. %(time)s is UTC.
NEWSSPIDER_DEFAULT_FEED = "output/%(name)s/%(time)s.jsonl"

# Listing pages per start URL (0 = no limit); `-a max_pages=N` overrides.
NEWSSPIDER_MAX_PAGES = 0
# Stop paginating at entries older than this date (YYYY-MM-DD); `-a since=` overrides.
NEWSSPIDER_SINCE = None
# What the cleaning pipeline strips from article HTML, by kind (counted per kind in the stats).
NEWSSPIDER_STRIP_SELECTORS = bannedbook.STRIP_SELECTORS

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
