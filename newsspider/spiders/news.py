"""Any news site, without a site file: ``scrapy crawl news -a start_urls=https://any.news.site/``.

The shared crawl (state, incremental runs, robots.txt, politeness, archive, report, exit status) on
the site :func:`newsspider.sites.anysite.any_site` builds from the start URLs: discovery from
robots.txt sitemaps, the feeds pages advertise, and same-host links that look like articles; every
page read generically and kept when it says it is an article.
"""

from __future__ import annotations

from typing import Any

import scrapy

from newsspider.errors import BadInput
from newsspider.sites.anysite import any_site
from newsspider.spiders.sitespider import SiteSpider


class NewsSpider(SiteSpider):
    name = "news"
    site = any_site(["https://news.invalid/"])  # replaced by the start URLs' own in from_crawler

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        if not kwargs.get("start_urls"):
            raise BadInput("the news spider crawls the sites it is given: -a start_urls=https://any.news.site/")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = any_site(spider.start_urls)
        return spider
