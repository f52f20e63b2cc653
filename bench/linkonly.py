"""The crawl's ceiling: the bannedbook spider's link following with no extraction at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response
from scrapy.utils.response import get_base_url

from newsspider.sites import bannedbook as site
from newsspider.spiders.bannedbook import BannedbookSpider
from newsspider.urls import join_url


class LinkOnlySpider(BannedbookSpider):
    name = "linkonly"

    def parse_article(self, response: Response) -> Iterator[Any]:
        base = get_base_url(response)
        urls = [
            join_url(base, href) or ""
            for href in response.css(site.ENTRY).xpath(site.RELATED_LINKS + "/@href").getall()
        ]
        parsed = site.parse_article_url(response.url)
        if parsed is not None:
            yield from self.related_requests(response, parsed.article_id, urls)
