"""The raw archive: every response the crawl receives, kept as WARC 1.1 (``warcio``).

``warc.py`` writes and repairs the files; ``middleware.py`` is the downloader middleware that
feeds it what the server sent (before decompression, repairs or retries touch it); ``reader.py``
reads archived responses back for re-extraction.
"""
