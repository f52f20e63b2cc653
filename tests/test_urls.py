import pytest

from newsspider.urls import canonical_url, join_url

SCHEMES = {"127.0.0.1": "http", "www.bannedbook.org": "https"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://127.0.0.1:8000/bnews/a/20240101/1.html?utm_source=x&utm_medium=y&fbclid=z",
            "http://127.0.0.1:8000/bnews/a/20240101/1.html",
        ),
        ("http://127.0.0.1:8000/bnews/a/20240101/1.html#comments", "http://127.0.0.1:8000/bnews/a/20240101/1.html"),
        ("https://127.0.0.1:8000/bnews/a/", "http://127.0.0.1:8000/bnews/a/"),  # the crawl's scheme for the host
        ("http://www.bannedbook.org/bnews/a/", "https://www.bannedbook.org/bnews/a/"),
        ("HTTP://WWW.BANNEDBOOK.ORG:443/bnews/%77orldnews/", "https://www.bannedbook.org/bnews/worldnews/"),
        (
            "https://www.bannedbook.org/bnews/tag/%e8%b4%b8/page/2/?paged=2&gclid=1",
            "https://www.bannedbook.org/bnews/tag/%E8%B4%B8/page/2/?paged=2",
        ),
        ("https://example.org", "https://example.org/"),
        ("javascript:void(0)", None),
        ("mailto:editor@bannedbook.org", None),
        ("tel:+15550100", None),
        ("data:text/html,<b>x</b>", None),
        ("http://<p>www.bannedbook.org/", None),
        ("http://[::1:80/", None),
        ("http://host:notaport/", None),
        ("/relative/only", None),
        ("", None),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url, SCHEMES) == expected


def test_canonical_url_is_idempotent():
    url = canonical_url("https://127.0.0.1:8000/bnews/%E4%B8%AD/?a=1&utm_x=2#f", SCHEMES)
    assert canonical_url(url, SCHEMES) == url


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/bnews/a/", "https://www.bannedbook.org/bnews/a/"),
        ("  page/2/ ", "https://www.bannedbook.org/bnews/tag/x/page/2/"),
        ("http://[…]/x", None),  # Python's parser raises on this: no crash, no link
        ("", None),
        (None, None),
    ],
)
def test_join_url(href, expected):
    assert join_url("https://www.bannedbook.org/bnews/tag/x/", href) == expected
