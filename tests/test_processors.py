import pytest

from newsspider.processors import (
    content_hash,
    credit_authors,
    credit_editor,
    credit_source,
    language_tag,
    normalize_space,
    parse_credit,
    publication_date,
    site_date_text,
    site_date_to_iso,
    strip_site_suffix,
    tag_name,
    to_iso_date,
    unique,
    unique_authors,
)
from newsspider.sites.bannedbook import SITE as BANNEDBOOK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a\u00a0\u00a0b\n\tc  ", "a b c"),
        ("会谈。\u00a0\u00a0\u00a0图：翻摄朝中社", "会谈。 图：翻摄朝中社"),
        ("\u3000全角空格\u3000", "全角空格"),
        ("zero\u200bwidth", "zero width"),
        ("   ", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_space(raw, expected):
    assert normalize_space(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("贸易战 - 中国禁闻网", "贸易战"),
        ("貿易戰 - 中國禁聞網", "貿易戰"),
        ("标题没有后缀", "标题没有后缀"),
        ("  - 中国禁闻网", None),
        ("标题 | 中國禁聞網", "标题"),
        (None, None),
    ],
)
def test_strip_site_suffix(raw, expected):
    assert strip_site_suffix(raw, {"site": BANNEDBOOK}) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("zh-CN", "zh-CN"),
        ("zh_cn", "zh-CN"),
        ("zh-tw", "zh-TW"),
        ("zh_TW", "zh-TW"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("EN", "en"),
        ("", None),
        ("123", None),
        (None, None),
    ],
)
def test_language_tag(raw, expected):
    assert language_tag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20240620", "2024-06-20"),
        ("2024-06-20", "2024-06-20"),
        ("2024-06-20T08:15:00+08:00", "2024-06-20T08:15:00+08:00"),
        ("2024-06-20T08:15:00Z", "2024-06-20T08:15:00+00:00"),
        (" 2024-06-20T08:15:00.250+08:00 ", "2024-06-20T08:15:00.250000+08:00"),
        ("2024-06-20T08:15:00", None),  # no offset: the URL date is the better value
        ("20241340", None),
        ("2024-02-30", None),
        ("2024年06月20日", None),
        ("", None),
        (None, None),
    ],
)
def test_to_iso_date(raw, expected):
    assert to_iso_date(raw) == expected


CREDITS = [
    # (paragraph text, authors, source, editor)
    ("作者： 張柏源", [("張柏源", "作者： 張柏源")], None, None),
    ("作者:張柏源", [("張柏源", "作者:張柏源")], None, None),
    ("作者：古莉來源：RFI法廣，文章謹供參考，內容並不代表本網立場和觀點。", [("古莉", "作者：古莉")], "RFI法廣", None),
    ("作者：古莉来源：RFI法广，文章仅供参考，内容并不代表本网立场和观点。", [("古莉", "作者：古莉")], "RFI法广", None),
    ("來源：美國之音, 文章內容並不代表本網立場和觀點。", [], "美國之音", None),
    ("来源：美国之音, 文章内容并不代表本网立场。", [], "美国之音", None),
    ("来源: 美国之音,文章内容并不代表本网立场。", [], "美国之音", None),
    ("作者: 希望之聲TV , 文章內容謹代表作者個人觀點。", [("希望之聲TV", "作者: 希望之聲TV")], None, None),
    (
        "作者：公民老黑，来源：Citizen Laohei公民老黑youtube频道，文章内容并不代表本网立场和观点。",
        [("公民老黑", "作者：公民老黑")],
        "Citizen Laohei公民老黑youtube频道",
        None,
    ),
    ("来源:\u00a0苹果日报 作者:\u00a0古立", [("古立", "作者: 古立")], "苹果日报", None),
    ("来源：新头壳 ", [], "新头壳", None),
    ("站長動態，轉發分享↓Follow Us 責任編輯：趙凌雲", [], None, "趙凌雲"),
    ("站长动态，转发分享↓Follow Us 责任编辑：赵凌云", [], None, "赵凌云"),
    ("責任編輯：趙凌雲", [], None, "趙凌雲"),
    ("作者：甲、乙", [("甲", "作者：甲、乙"), ("乙", "作者：甲、乙")], None, None),
    ("文章转自网络，旨在为读者提供多元信息，内容并不代表本网立场和观点。", [], None, None),
    # Disclaimer wordings after the values, in both scripts, ASCII or full-width punctuation.
    ("作者: 希望之声TV , 文章内容仅代表作者个人观点。", [("希望之声TV", "作者: 希望之声TV")], None, None),
    ("来源：大纪元，文章仅代表作者本人观点，不代表本网立场和观点", [], "大纪元", None),
    ("來源：大紀元，文章僅代表作者本人觀點，不代表本網立場和觀點", [], "大紀元", None),
    ("来源：自由亚洲电台，本文内容仅代表作者个人立场，与本网无关。", [], "自由亚洲电台", None),
    ("來源：自由亞洲電台，本文內容僅代表作者個人立場，與本網無關。", [], "自由亞洲電台", None),
    ("來源：看中國，文章觀點僅代表作者本人，本網站僅供參考", [], "看中國", None),
    ("来源：看中国，文章观点仅代表作者本人，本网站仅供参考", [], "看中国", None),
    ("来源：法广, 本文只代表作者观点, 不代表本站立场", [], "法广", None),
    ("來源：法廣, 本文只代表作者觀點, 不代表本站立場", [], "法廣", None),
    ("来源:法广，以上内容仅供参考。", [], "法广", None),
    ("作者：甲；文中观点不代表本网立场", [("甲", "作者：甲")], None, None),
    ("作者：甲，內容僅代表作者個人觀點來源：乙", [("甲", "作者：甲")], "乙", None),
]


@pytest.mark.parametrize(("text", "authors", "source", "editor"), CREDITS)
def test_parse_credit(text, authors, source, editor):
    credit = parse_credit(text)
    assert credit is not None
    assert [(a["name"], a["nameRaw"]) for a in credit.authors] == authors
    assert credit.source == source
    assert credit.editor == editor


@pytest.mark.parametrize(
    "text",
    [
        "他说：这是来源：不明的消息，但仍需核实细节。",  # a label inside a sentence
        "他表示，这只是他个人的观点。",  # mentions 观点 but is no disclaimer
        "北朝鲜中央通信社（KCNA）今天引述条约内容报导。",
        "俄罗斯总统普丁与金正恩举行会谈。 图：翻摄朝中社",
        "作者：王丹 王丹认为，今年经济增长目标难以实现。这是他的分析。",
        "本网记者报道，某地代表大会今天开幕。",
        "本網記者報道，某地代表大會今天開幕。",
        "据新华社报道，来源：不明的消息称，当地代表团已经抵达。",
        "来源：新华社。文章说，人大代表今天开会。",  # a tail that opens like a disclaimer but is none
        "文章指出，这一观点在学界引发争议。",  # disclaimer words without a credit value before them
        "文章引述的观点来源：一份内部文件。",  # …or before the label
        "来源：新华社，他的观点引发争议。",  # a tail with disclaimer words that does not open like one
        # Too long to be a disclaimer.
        "来源：新华社，文章称这一政策的真实目的在于加强控制，本网记者多次致电有关部门，均无人接听，"
        "当地居民表示，他们对未来的生活感到担忧，专家警告说，如果局势继续恶化，后果将难以预料。",
        "",
        None,
    ],
)
def test_parse_credit_leaves_article_text_alone(text):
    assert parse_credit(text) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024年07月08日 14:30", "2024-07-08T14:30:00+08:00"),
        ("2024年07月08日", "2024-07-08"),
        ("日期：2024年7月8日 9:05", "2024-07-08T09:05:00+08:00"),
        (" 2024 年 07 月 08 日\u00a0 14：30 ", "2024-07-08T14:30:00+08:00"),
        ("2024年02月30日", None),
        ("2024年07月08日 24:00", None),
        ("2024年07月08日 14:30 国际新闻", None),  # the whole value must be the date
        ("2024-07-08", None),
        ("", None),
        (None, None),
    ],
)
def test_site_date_to_iso(raw, expected):
    assert site_date_to_iso(raw, "+08:00") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024年07月08日 14:30 国际新闻", "2024年07月08日 14:30"),
        ("日期：2024年07月08日 | 分类：国际新闻", "2024年07月08日"),
        ("  2024年7月8日  9:05", "2024年7月8日 9:05"),
        ("分类：国际新闻 2024年07月08日", None),
        ("", None),
        (None, None),
    ],
)
def test_site_date_text(raw, expected):
    assert site_date_text(raw) == expected


def test_publication_date_reads_every_form():
    assert publication_date("2024-07-08T14:30:00+08:00", "+08:00") == "2024-07-08T14:30:00+08:00"
    assert publication_date("20240708", "+08:00") == "2024-07-08"
    assert publication_date("2024年07月08日 14:30", "+08:00") == "2024-07-08T14:30:00+08:00"
    assert publication_date("2024-07-08T14:30:00", "+08:00") is None


def test_credit_field_processors():
    line = "作者：古莉來源：RFI法廣，文章謹供參考。"
    assert credit_authors(line) == [{"name": "古莉", "nameRaw": "作者：古莉"}]
    assert credit_source(line) == "RFI法廣"
    assert credit_editor(line) is None
    assert credit_authors("来源：美国之音") is None
    assert credit_editor("正文段落。") is None


def test_tag_name_and_unique():
    assert tag_name("  俄罗斯\u00a0") == "俄罗斯"
    assert tag_name(" ") is None
    assert unique(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    authors = [{"name": "甲", "nameRaw": "作者：甲"}, {"name": "甲", "nameRaw": "作者: 甲"}]
    assert unique_authors(authors) == [authors[0]]


def test_content_hash_is_sha256_of_utf8_text():
    assert content_hash("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert content_hash("正文") != content_hash("正文 ")
