"""RFI Chinese (www.rfi.fr/cn/): its declaration (``newsspider/sites/rfi.py``) and the shared crawl."""

from __future__ import annotations

from newsspider.sites import rfi
from newsspider.spiders.sitespider import SiteSpider


class RfiSpider(SiteSpider):
    name = "rfi"
    site = rfi.SITE
