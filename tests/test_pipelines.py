"""Each pipeline's outcomes: what is stripped, what is dropped and why, and the stats."""

import copy

import pytest
from scrapy.exceptions import DropItem

from newsspider.errors import BadInput
from newsspider.items import Article
from newsspider.pipelines import CleaningPipeline, DeduplicationPipeline, ValidationPipeline
from tests.conftest import project_crawler

URL = "https://www.bannedbook.org/bnews/worldnews/20240620/2052419.html"

ENTRY = """<div class="entry"> <p class="notice"><b>大陆网友注意：翻墙</b></p><p>备注：翻墙看新闻非常安全</p>
<p>作者： 張柏源</p>
<p>正文第一段，<a href="/bnews/tag/x/" rel="tag">标签</a>留在文中。</p>
<!--<div id="taboola-mid-1"></div>-->
<div class="banner-ads"><ins class="adsbygoogle"></ins><script>(adsbygoogle=[]).push({});</script></div>
<p><img src="/img/a.jpg"></p><p>图片说明&nbsp;图：路透社</p>
<p>正文第二段<br>换行后的文字。</p>
<style>.x{}</style><iframe src="/ad.html"></iframe>
<p>站长动态，转发分享↓<a href="https://twitter.com/x">Follow Us</a> 责任编辑：赵凌云</p><p><img src="/follow.png"></p>
<ul class='op-related-articles' title='相关阅读'><li><a href='/bnews/a/20240101/1.html'>相关</a></li></ul>
<ul class="texttj"><li>🔥<a href="https://github.com/bannedbook/fanqiang">翻墙</a></li></ul>
<p class="src-info">来源：新头壳 </p><a name='sharetosocial'></a>
<div id="archive-pix-1" class="banner-ads"><!-- AuctionX --><div id="1x_ADSLOT1"></div></div></div>"""


def raw_item(**changes) -> Article:
    item = Article(
        url=URL,
        canonicalUrl=URL,
        articleId="2052419",
        section="worldnews",
        inLanguage="zh-CN",
        headline="标题",
        datePublished="2024-06-20",
        datePublishedRaw="20240620",
        articleBodyHtml=ENTRY,
        metadata={
            "dateDownloaded": "2024-06-20T00:00:00Z",
            "spider": "bannedbook",
            "contentHash": None,
            "schemaVersion": "1.1.0",
            "version": None,
            "previousHash": None,
        },
    )
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def test_cleaning_strips_every_kind_and_counts_it():
    crawler = project_crawler()
    item = CleaningPipeline(crawler).process_item(raw_item())
    assert item.articleBody == "正文第一段，标签留在文中。\n图片说明 图：路透社\n正文第二段\n换行后的文字。"
    assert item.images == [{"url": "https://www.bannedbook.org/img/a.jpg", "caption": "图片说明 图：路透社"}]
    assert item.metadata["contentHash"].startswith("sha256:")
    for gone in (
        "notice",
        "备注",
        "adsbygoogle",
        "<script",
        "<style",
        "<iframe",
        "Follow Us",
        "follow.png",
        "相关",
        "texttj",
        "新头壳",
        "sharetosocial",
        "ADSLOT",
        "<!--",
        "張柏源",
    ):
        assert gone not in item.articleBodyHtml, gone
    stats = crawler.stats.get_stats()
    assert stats["newsspider/clean/stripped/notice"] == 2
    assert stats["newsspider/clean/stripped/related"] == 1
    assert stats["newsspider/clean/stripped/promo"] == 1
    assert stats["newsspider/clean/stripped/ads"] == 2  # nested ad parts are counted once
    assert stats["newsspider/clean/stripped/share"] == 3  # anchor, footer and its icon
    assert stats["newsspider/clean/stripped/credit"] == 2  # src-info and the author line
    assert stats["newsspider/clean/stripped/script"] == 2  # style, iframe (the ad's script went with the ad)
    assert stats["newsspider/clean/stripped/comment"] == 2
    assert stats["newsspider/clean/items"] == 1


def test_strip_selectors_add_to_the_defaults_per_kind():
    crawler = project_crawler(NEWSSPIDER_STRIP_SELECTORS={"promo": ["p.extra-promo"]})
    item = raw_item()
    item.articleBodyHtml = item.articleBodyHtml.replace("</div>", '<p class="extra-promo">推广</p></div>', 1)
    item = CleaningPipeline(crawler).process_item(item)
    assert "extra-promo" not in item.articleBodyHtml  # the user's selector
    assert "texttj" not in item.articleBodyHtml  # the defaults of the same kind stay
    assert "adsbygoogle" not in item.articleBodyHtml and "<script" not in item.articleBodyHtml  # other kinds too
    assert "相关阅读" not in item.articleBody


def test_an_empty_list_removes_a_kind_of_defaults():
    crawler = project_crawler(NEWSSPIDER_STRIP_SELECTORS='{"promo": []}')  # as given with -s
    item = CleaningPipeline(crawler).process_item(raw_item())
    assert "texttj" in item.articleBodyHtml  # promo lists no longer stripped, so kept
    assert "adsbygoogle" not in item.articleBodyHtml  # the other kinds' defaults stay
    assert crawler.stats.get_value("newsspider/clean/stripped/promo") is None


@pytest.mark.parametrize("bad", [{"ads": "div.banner-ads"}, {"ads": ["div[["]}, ["div.x"], "{bad json"])
def test_bad_strip_selectors_fail_at_start_with_the_culprit(bad):
    with pytest.raises(BadInput, match="setting NEWSSPIDER_STRIP_SELECTORS=.*expected a JSON object"):
        CleaningPipeline(project_crawler(NEWSSPIDER_STRIP_SELECTORS=bad))


def test_cleaning_survives_garbage_html():
    crawler = project_crawler()
    cases = {
        "": "",
        "   ": "",
        "<<<>>>": "<<<>>>",
        "\x00\x01": "",
        "<div class='entry'>": "",
        "<p>未闭合<div>段落": "未闭合\n段落",
        "</html><p>尾巴</p>": "尾巴",
    }
    for html, text in cases.items():
        item = CleaningPipeline(crawler).process_item(raw_item(articleBodyHtml=html))
        assert item.articleBody == text, html


def clean(item):
    return CleaningPipeline(project_crawler()).process_item(item)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (raw_item(headline=None), "missing_headline"),
        (raw_item(headline="  "), "missing_headline"),
        (raw_item(articleBodyHtml="<div class='entry'><ul class='texttj'><li>翻墙</li></ul></div>"), "empty_body"),
        (raw_item(articleBodyHtml=None), "empty_body"),
        (raw_item(articleId="abc"), "invalid/articleId/pattern"),
        (raw_item(datePublished="June 20"), "invalid/datePublished/pattern"),
        (raw_item(url="javascript:alert(1)"), "invalid/url/pattern"),
        (raw_item(inLanguage=None), "invalid/inLanguage/type"),
        (raw_item(tags=["a", "a"]), "invalid/tags/uniqueItems"),
        (raw_item(authors=[{"name": "x"}]), "invalid/authors/required"),
    ],
)
def test_validation_drops_with_a_counted_reason(item, reason):
    crawler = project_crawler()
    pipeline = ValidationPipeline(crawler)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(CleaningPipeline(crawler).process_item(item))
    assert crawler.stats.get_value(f"newsspider/validate/dropped/{reason}") == 1
    assert crawler.stats.get_value("newsspider/validate/valid") is None


def test_validation_passes_a_good_record():
    crawler = project_crawler()
    item = ValidationPipeline(crawler).process_item(clean(raw_item()))
    assert item.headline == "标题"
    assert crawler.stats.get_value("newsspider/validate/valid") == 1


def test_deduplication_by_article_id():
    crawler = project_crawler()
    pipeline = DeduplicationPipeline(crawler)
    first = clean(raw_item())
    mirror = copy.deepcopy(first)
    mirror.url = URL.replace("/bnews/", "/bnews/zh-tw/")
    other = clean(raw_item(articleId="7"))
    assert pipeline.process_item(first) is first
    with pytest.raises(DropItem, match="duplicate_article_id"):
        pipeline.process_item(mirror)
    assert pipeline.process_item(other) is other
    assert crawler.stats.get_value("newsspider/dedupe/unique") == 2
    assert crawler.stats.get_value("newsspider/dedupe/dropped/duplicate_article_id") == 1
