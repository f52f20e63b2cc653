"""www.bannedbook.org: its declaration (``newsspider/sites/bannedbook.py``) and the shared crawl."""

from __future__ import annotations

from newsspider.sites import bannedbook
from newsspider.spiders.sitespider import SiteSpider


class BannedbookSpider(SiteSpider):
    name = "bannedbook"
    site = bannedbook.SITE
