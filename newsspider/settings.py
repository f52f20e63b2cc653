"""Scrapy settings for newsspider. Own settings carry the NEWSSPIDER_ prefix (see README)."""

BOT_NAME = "newsspider"
SPIDER_MODULES = ["newsspider.spiders"]
NEWSPIDER_MODULE = "newsspider.spiders"

USER_AGENT = "newsspider/1.0 (+https://github.com/newsspider/newsspider)"
ROBOTSTXT_OBEY = True

# Polite by default against the real site; the offline demo lifts the delays for loopback.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts this many output workers for every response; a page here yields one record and a
# few dozen links at most, and 100 idle workers cost more than the pipelines (bench/RESULTS.md).
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
# Applies to the decompressed size too (gzip bombs).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's robots.txt handling, without a traceback when the site is down.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsspider.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsspider.middlewares.BackoffRetryMiddleware": 550,
    # Below HttpCompressionMiddleware (590), so it sees decompressed bodies.
    "newsspider.middlewares.ResponseRepairMiddleware": 560,
    # Before retry and repair see the response: a challenge is neither retried nor parsed.
    "newsspider.middlewares.ChallengeMiddleware": 580,
    # Nearest the download handler: it archives what the server sent, before anything changes it.
    "newsspider.archive.middleware.ArchiveMiddleware": 950,
}
# Bot challenges (Cloudflare's "Just a moment..."): stop after this many in a row (0 = never).
NEWSSPIDER_BLOCKED_STOP_AFTER = 20
# Waits before retries: Retry-After when the server sends one (capped), else base * 2**n (capped).
NEWSSPIDER_RETRY_BACKOFF_BASE = 1.0
NEWSSPIDER_RETRY_BACKOFF_MAX = 60.0
NEWSSPIDER_RETRY_AFTER_MAX = 300.0

ITEM_PIPELINES = {
    "newsspider.pipelines.CleaningPipeline": 100,
    "newsspider.pipelines.ValidationPipeline": 200,
    "newsspider.pipelines.DeduplicationPipeline": 300,
    "newsspider.pipelines.IncrementalPipeline": 400,
}
# The feed exporter that reports failed writes and checks feeds before the run; the state and
# the report come after it, so that they see each record once it is on disk.
EXTENSIONS = {
    "scrapy.extensions.feedexport.FeedExporter": None,
    "newsspider.output.DurableFeedExporter": 0,
    # Before the state and the scheduler: a JOBDIR left by a killed run is set aside first.
    "newsspider.jobdir.JobDirGuard": 490,
    "newsspider.extensions.CrawlState": 500,
    "newsspider.extensions.RunReport": 510,
    "newsspider.extensions.progress.Progress": 520,
}
# `scrapy crawl` exits non-zero when the run's verdict is failed (newsspider/commands/crawl.py).
COMMANDS_MODULE = "newsspider.commands"

FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {
    "jl": "newsspider.output.JsonLinesExporter",
    "jsonlines": "newsspider.output.JsonLinesExporter",
    "jsonl": "newsspider.output.JsonLinesExporter",
}
# A run keeps its records: default output, archive, state, report. scrapy parse, shell, fetch, view
# and check set it to False (newsspider/commands/): they only show pages.
NEWSSPIDER_RECORD_RUN = True
# Where records go when no feed is given (-o/-O, FEEDS); "" for nowhere. run_id sorts by UTC time.
NEWSSPIDER_DEFAULT_FEED = "output/%(name)s/%(run_id)s.jsonl"
# The run report goes beside the first local feed; here when there is none.
NEWSSPIDER_REPORT_ENABLED = True
NEWSSPIDER_REPORT_URI = "output/%(name)s/%(run_id)s.report.json"

# Incremental crawling: what was emitted, and when each article page was fetched.
NEWSSPIDER_STATE_ENABLED = True
NEWSSPIDER_STATE_URI = "sqlite:///state/%(name)s.sqlite3"
NEWSSPIDER_STATE_COMMIT_EVERY = 100
# A PostgreSQL state lost mid-run (a restart) is retried this long before the run fails; with a
# queue, shorter than NEWSSPIDER_QUEUE_LEASE (a waiting worker does not beat).
NEWSSPIDER_STATE_RETRY_FOR = 30.0
# Crawling with several workers (README: "Crawling on several machines"); None = one process.
NEWSSPIDER_QUEUE_URI = None
# A worker's hold on a request it took; a dead worker's requests go back to the queue after it.
NEWSSPIDER_QUEUE_LEASE = 60.0
# How long a run's keys stay in Redis after its last activity.
NEWSSPIDER_QUEUE_KEEP = 86400
# Seconds a worker is idle before it asks whether the whole run is done.
NEWSSPIDER_QUEUE_IDLE_GRACE = 0.25
# The run's budget per host for all workers together (None: DOWNLOAD_DELAY,
# CONCURRENT_REQUESTS_PER_DOMAIN and AUTOTHROTTLE_ENABLED, as one worker would have).
NEWSSPIDER_HOST_DELAY = None
NEWSSPIDER_HOST_CONCURRENCY = None
NEWSSPIDER_HOST_AUTOTHROTTLE = None
# Seconds after which a held article linked from a listing is fetched again (None = never).
NEWSSPIDER_REFRESH_AFTER = None
# News is corrected mostly in its first days: an article published within this many days that a
# fetched listing shows is fetched again when its last fetch is older than ..._EVERY seconds.
NEWSSPIDER_REFRESH_RECENT_DAYS = 3
NEWSSPIDER_REFRESH_RECENT_EVERY = 21600
# A fixed "now" (ISO 8601 with a zone) instead of the clock: tests and replays.
NEWSSPIDER_NOW = None
# Stop paginating a listing after this many pages in a row whose entries are all held.
NEWSSPIDER_STOP_AFTER_KNOWN_PAGES = 1

# Drift alarms: any of these crossed makes the run's verdict "failed".
NEWSSPIDER_ALARM_COVERAGE = {"headline": 0.98, "articleBody": 0.98, "datePublished": 0.95}
NEWSSPIDER_ALARM_MAX_DROPPED_SHARE = 0.05
# Article pages read generically (the site's selectors found no entry, headline or body) above this share: drift.
NEWSSPIDER_ALARM_MAX_GENERIC_SHARE = 0.05
# More than this share of pages answered with a bot challenge fails the run ("blocked").
NEWSSPIDER_ALARM_MAX_BLOCKED_SHARE = 0.5
NEWSSPIDER_ALARM_MIN_PAGES = 20
NEWSSPIDER_ALARM_ZERO_RECORDS_PAGES = 10

# Listing pages per start URL (0 = no limit); `-a max_pages=N` overrides.
NEWSSPIDER_MAX_PAGES = 0
# Stop paginating at entries older than this date (YYYY-MM-DD); `-a since=` overrides.
NEWSSPIDER_SINCE = None
# Hops of related-article links followed from a listed or given article (-1 = unlimited).
NEWSSPIDER_RELATED_DEPTH = 1
# How articles are found (`-a discover=` overrides): the start URLs' listings, their feeds, the
# sites' sitemaps (robots.txt Sitemap: lines, else /sitemap_index.xml), or several of them.
NEWSSPIDER_DISCOVER = "listings"
# The site's root when no start URL names it: default start URLs, and where articles listed by a
# feed on a feed host are fetched (None: the real site).
NEWSSPIDER_SITE_URL = None
# Hosts that only serve the site's feeds: the feed given is fetched there, nothing else.
NEWSSPIDER_FEED_HOSTS = "feeds.feedburner.com feedproxy.google.com"
# The raw archive: every response as WARC 1.1, beside the output (None) or in this folder.
NEWSSPIDER_ARCHIVE_ENABLED = True
NEWSSPIDER_ARCHIVE_DIR = None
NEWSSPIDER_ARCHIVE_ROTATE_BYTES = 1024 * 1024 * 1024
# What export's index of records (SQLite's page cache) may hold in memory before it sorts on disk.
NEWSSPIDER_EXPORT_MEMORY_MB = 256
# Caps against hostile sitemaps (the protocol's own limits are 50 MB and 50,000 URLs per file).
NEWSSPIDER_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
NEWSSPIDER_SITEMAP_MAX_URLS = 50_000
NEWSSPIDER_SITEMAP_MAX_FILES = 10_000
# Sitemap entries are turned into requests only while fewer than this many requests are queued.
NEWSSPIDER_SITEMAP_QUEUE = 1000
# What the cleaning pipeline strips from article HTML, by kind (counted per kind in the stats).
# Users add to it with NEWSSPIDER_STRIP_SELECTORS, as Scrapy merges its *_BASE settings.
NEWSSPIDER_STRIP_SELECTORS_BASE: dict[str, list[str]] = {}  # each site's, set by its spider (Site.settings)
NEWSSPIDER_STRIP_SELECTORS: dict[str, list[str]] = {}
# Where an image's caption holds its photo credit (CSS inside the caption); each site's, set by its spider.
NEWSSPIDER_IMAGE_CREDIT_SELECTORS: list[str] = []
# An article page the site's selectors read no headline or body from is read generically (extraction: generic).
NEWSSPIDER_GENERIC_FALLBACK = True
# Selectors of the site file replaced without editing it, e.g. '{"entry": "section.story-text"}'.
NEWSSPIDER_SITE_SELECTORS: dict[str, str | list[str]] = {}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Quiet by default, as operators read the log of scheduled runs; `-L DEBUG` (or -s LOG_LEVEL=DEBUG) for every request.
LOG_LEVEL = "INFO"
# One progress line every this many seconds (pages, records, failures, queue, rate, what is left), for
# crawls and for reextract and export off a terminal; 0 for none.
NEWSSPIDER_PROGRESS_INTERVAL = 30
# Scrapy's own per-minute "Crawled N pages" line says less than ours.
LOGSTATS_INTERVAL = 0
