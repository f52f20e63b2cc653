"""Each pipeline's outcomes: what is stripped, what is dropped and why, and the stats."""

import copy

import pytest
from scrapy.exceptions import DropItem

from newsspider import SCHEMA_VERSION
from newsspider.cleaning import clean_article_html
from newsspider.errors import BadInput
from newsspider.extensions import CrawlState
from newsspider.items import Article
from newsspider.pipelines import CleaningPipeline, DeduplicationPipeline, IncrementalPipeline, ValidationPipeline
from newsspider.sites import bannedbook as site
from newsspider.state import Emission, SqliteStateStore, StateChanges
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
        site="www.bannedbook.org",
        extraction="site",
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
            "schemaVersion": SCHEMA_VERSION,
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
    assert item.images == [
        {"url": "https://www.bannedbook.org/img/a.jpg", "caption": "图片说明 图：路透社", "credit": None}
    ]
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
        (raw_item(articleId="20 52"), "invalid/articleId/pattern"),
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


def test_deduplication_drop_names_the_id_and_is_logged_at_info():
    crawler = project_crawler()
    pipeline = DeduplicationPipeline(crawler)
    pipeline.process_item(clean(raw_item(articleId="5")))
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(clean(raw_item(articleId="5", url=URL.replace("/bnews/", "/bnews/zh-tw/"))))
    assert str(dropped.value) == "duplicate_article_id: 5"
    assert dropped.value.log_level == "INFO"
    assert DeduplicationPipeline(crawler).process_item(raw_item(articleId="5")) is not None  # per crawl


# --- cleaning details ---------------------------------------------------------------------------

PAGE = "https://www.bannedbook.org/bnews/worldnews/20240620/2052419.html"


def cleaned(html: str):
    return clean_article_html(html, site.STRIP_SELECTORS, PAGE)


def test_blocks_emptied_by_the_stripping_leave_the_html():
    result = cleaned(
        '<div class="entry"><p>正文。</p>'
        '<div class="wrap"><div class="banner-ads"><ins class="adsbygoogle"></ins></div></div>'
        "<p><a name='sharetosocial'></a></p>"
        "<div class='credit-box'><p>来源：美国之音, 文章内容并不代表本网立场。</p></div>"
        "<p><span><!-- ad --></span></p><p>\u00a0</p><p><img src='/a.jpg'></p></div>"
    )
    assert result.html == '<div class="entry"><p>正文。</p><p><img src="https://www.bannedbook.org/a.jpg"></p></div>'
    assert result.text == "正文。"


def test_cleaned_html_links_are_absolute():
    result = cleaned(
        '<div class="entry"><p><a href="/bnews/tag/x/" rel="tag">x</a> <a href="../20240619/1.html">y</a>'
        ' <a href="#comments">z</a> <a href="//cdn.example.org/f.pdf">f</a>'
        ' <a href="javascript:void(0)">j</a> <a href="mailto:editor@bannedbook.org">m</a>'
        ' <a href="https://www.voachinese.com/a/1.html">v</a></p>'
        '<p><img src="up/a.jpg" srcset="up/a.jpg 1x, /up/a@2x.jpg 2x, https://img.example/a3.jpg 3x">'
        '<img src="data:image/gif;base64,R0lGOD" data-lazy-src="/up/lazy.jpg"></p></div>'
    )
    html = result.html
    for attribute in (
        'href="https://www.bannedbook.org/bnews/tag/x/"',
        'href="https://www.bannedbook.org/bnews/worldnews/20240619/1.html"',
        'href="https://www.bannedbook.org/bnews/worldnews/20240620/2052419.html#comments"',
        'href="https://cdn.example.org/f.pdf"',
        'href="javascript:void(0)"',
        'href="mailto:editor@bannedbook.org"',
        'href="https://www.voachinese.com/a/1.html"',
        'src="https://www.bannedbook.org/bnews/worldnews/20240620/up/a.jpg"',
        'srcset="https://www.bannedbook.org/bnews/worldnews/20240620/up/a.jpg 1x, '
        'https://www.bannedbook.org/up/a@2x.jpg 2x, https://img.example/a3.jpg 3x"',
        'src="data:image/gif;base64,R0lGOD"',
        'data-lazy-src="https://www.bannedbook.org/up/lazy.jpg"',
    ):
        assert attribute in html, attribute
    # The lazy image is found by its real source, not lost to its data: placeholder.
    assert [image["url"] for image in result.images] == [
        "https://www.bannedbook.org/bnews/worldnews/20240620/up/a.jpg",
        "https://www.bannedbook.org/up/lazy.jpg",
    ]


DISCLAIMED_CREDITS = [
    "来源：美国之音, 文章内容并不代表本网立场。",
    "來源：美國之音, 文章內容並不代表本網立場和觀點。",
    "作者：古莉來源：RFI法廣，文章謹供參考，內容並不代表本網立場和觀點。",
    "作者: 希望之聲TV , 文章內容謹代表作者個人觀點。",
    "来源：大纪元，文章仅代表作者本人观点，不代表本网立场和观点",
    "来源：自由亚洲电台，本文内容仅代表作者个人立场，与本网无关。",
    "來源：自由亞洲電台，本文內容僅代表作者個人立場，與本網無關。",
    "來源：看中國，文章觀點僅代表作者本人，本網站僅供參考",
    "来源：法广, 本文只代表作者观点, 不代表本站立场",
    "來源：法廣, 本文只代表作者觀點, 不代表本站立場",
]


@pytest.mark.parametrize("credit", DISCLAIMED_CREDITS)
def test_credit_lines_with_any_disclaimer_leave_the_body(credit):
    result = cleaned(f'<div class="entry"><p>{credit}</p><p>正文第一段。</p></div>')
    assert result.text == "正文第一段。"
    assert result.stripped["credit"] == 1


@pytest.mark.parametrize(
    "paragraph", ["本网记者报道，某地代表大会今天开幕。", "据新华社报道，来源：不明的消息称，当地代表团已经抵达。"]
)
def test_article_sentences_about_sources_stay_in_the_body(paragraph):
    assert cleaned(f'<div class="entry"><p>{paragraph}</p><p>正文。</p></div>').text == f"{paragraph}\n正文。"


# --- incremental pipeline on a real crawl state ---------------------------------------------------

HASH_A, HASH_B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def incremental(tmp_path, emitted: dict[str, tuple[str, int]]):
    """The pipeline over a real CrawlState whose SQLite store already holds ``emitted``
    (article id -> (hash, version)), as an earlier run leaves it."""
    uri = f"sqlite:///{tmp_path}/state.sqlite3"
    store = SqliteStateStore(tmp_path / "state.sqlite3")
    emissions = {a: Emission(a, URL, content_hash, version) for a, (content_hash, version) in emitted.items()}
    store.apply("bannedbook", StateChanges(emissions, {}, {}), "2024-06-01T00:00:00.000000Z")
    store.close()
    crawler = project_crawler(NEWSSPIDER_STATE_ENABLED=True, NEWSSPIDER_STATE_URI=uri)
    state = crawler.get_extension(CrawlState)
    assert state is not None
    return IncrementalPipeline(crawler), crawler.stats, state


def with_hash(article_id: str, content_hash: str) -> Article:
    item = raw_item(articleId=article_id)
    item.metadata = {**item.metadata, "contentHash": content_hash}
    return item


def test_incremental_new_changed_and_unchanged_articles(tmp_path):
    pipeline, stats, state = incremental(tmp_path, {"2": (HASH_A, 3), "3": (HASH_A, 1)})
    new = pipeline.process_item(with_hash("1", HASH_A))
    assert (new.metadata["version"], new.metadata["previousHash"]) == (1, None)
    changed = pipeline.process_item(with_hash("2", HASH_B))
    assert (changed.metadata["version"], changed.metadata["previousHash"]) == (4, HASH_A)
    with pytest.raises(DropItem, match="unchanged: 3"):
        pipeline.process_item(with_hash("3", HASH_A))
    assert stats.get_value("newsspider/incremental/new") == 1
    assert stats.get_value("newsspider/incremental/changed") == 1
    assert stats.get_value("newsspider/incremental/unchanged") == 1
    state.store.close()


def test_incremental_previous_hash_is_the_last_emitted_one(tmp_path):
    pipeline, stats, state = incremental(tmp_path, {})
    first = pipeline.process_item(with_hash("9", HASH_A))
    state.record_written(first)  # the feed wrote it: the state records the emission
    state.flush()
    second = pipeline.process_item(with_hash("9", HASH_B))
    assert (second.metadata["version"], second.metadata["previousHash"]) == (2, HASH_A)
    state.record_written(second)
    state.flush()
    with pytest.raises(DropItem, match="unchanged"):
        pipeline.process_item(with_hash("9", HASH_B))
    assert stats.get_value("newsspider/incremental/unchanged") == 1
    state.store.close()


def test_incremental_without_state_passes_with_null_version():
    crawler = project_crawler(NEWSSPIDER_STATE_ENABLED=False)
    item = IncrementalPipeline(crawler).process_item(with_hash("1", HASH_A))
    assert (item.metadata["version"], item.metadata["previousHash"]) == (None, None)
    assert crawler.stats.get_value("newsspider/incremental/new") is None


def test_a_version_another_worker_committed_first_is_dropped_as_taken(tmp_path):
    """With a shared state, the record is committed before it is written: a version already taken
    is dropped (counted, not a lost article), and one that could not be committed stops there."""
    pipeline, stats, state = incremental(tmp_path, {})
    monkey_claims = iter([False])
    state.claim = lambda item: next(monkey_claims)
    with pytest.raises(DropItem, match="version_taken: 5"):
        pipeline.process_item(with_hash("5", HASH_A))
    assert stats.get_value("newsspider/incremental/version_taken") == 1
    assert stats.get_value("newsspider/incremental/new") is None
    state.store.close()
