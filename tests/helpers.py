"""Helpers shared by the extraction tests."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.http import TextResponse

from newsspider.loaders import load_article
from newsspider.pipelines import CleaningPipeline, ValidationPipeline
from newsspider.sites import Site
from newsspider.sites.bannedbook import SITE as BANNEDBOOK
from tests.conftest import project_crawler


def extract(response: TextResponse, crawler=None, site: Site = BANNEDBOOK) -> dict[str, Any]:
    """Loader, then the cleaning and validation pipelines, as a crawl of ``site`` runs them."""
    crawler = crawler or project_crawler()
    item = load_article(response, site)
    item = CleaningPipeline(crawler).process_item(item)
    item = ValidationPipeline(crawler).process_item(item)
    return ItemAdapter(item).asdict()


def without_download_time(record: dict[str, Any]) -> dict[str, Any]:
    record = dict(record)
    record["metadata"] = {**record["metadata"], "dateDownloaded": None}
    return record


# Text that belongs to the page's non-article matter and must never reach a record's body.
NON_ARTICLE_MARKERS = (
    "大陆网友注意",
    "大陸網友注意",
    "备注：翻墙",
    "備註：翻牆",  # the site notice
    "翻墙",
    "翻牆",
    "解锁ChatGPT",
    "🔥",  # promo list
    "adsbygoogle",
    "AuctionX",
    "ADSLOT",
    "taboola",  # ad blocks
    "sharetosocial",
    "转发分享",
    "轉發分享",
    "Follow Us",  # share widgets and footer
    "相关阅读",
    "相關閱讀",
    "op-related-articles",
    "texttj",  # related and promo lists
    "作者：",
    "作者:",
    "来源：",
    "來源：",
    "责任编辑",
    "責任編輯",
    "本网立场",
    "本網立場",  # credits
    "<script",
    "<style",
    "<iframe",
    "<!--",
)


# The RFI template's matter inside the article wrapper (ads, self-promotion, share bar, header parts).
RFI_NON_ARTICLE_MARKERS = (
    "广告",
    "继续浏览后续",
    "电邮新闻",
    "订阅",
    "下载法广应用程序",
    "分享 :",
    "发表时间",
    "作者：",
    "<script",
)
