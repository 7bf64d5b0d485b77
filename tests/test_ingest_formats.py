"""Format readers: HTML pages, RSS/Atom feeds, WARC archives and CSV exports, plain or gzipped."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import TEST_DATA
from ingest.readers import read_path
from qa.errors import IngestError
from qa.types import Article

FORMATS = TEST_DATA / "formats"

FERRY_PARAGRAPHS = [
    "The Lakeside ferry will carry passengers again from Saturday after a four-month refit",
    "Harbour master Owen Pritchard said the vessel had passed its sea trials on Tuesday",
    "The refit cost 2.4 million dollars, roughly half of which came from a provincial",
    "Islanders had relied on a smaller water taxi since June",
]


def _read(path: Path, field_map: dict[str, str] | None = None) -> list[Article | IngestError]:
    return list(read_path(path, field_map))


def _articles(results: list[Article | IngestError]) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def _errors(results: list[Article | IngestError]) -> list[str]:
    return [str(r) for r in results if isinstance(r, IngestError)]


def _without_path(articles: list[Article]) -> list[Article]:
    return [dataclasses.replace(a, path=None) for a in articles]


# --- HTML -------------------------------------------------------------------------------------


def test_html_page_main_text_and_metadata() -> None:
    [article] = _read(FORMATS / "article.html")
    assert isinstance(article, Article)
    assert article.title == "Lakeside ferry returns after winter refit"
    assert article.author == "Marta Lindqvist"
    assert article.source == "Northshore Courier"
    # article:published_time keeps the time of day and zone; normalised to UTC.
    assert article.published_at == "2023-10-14T20:20:00+00:00"
    assert article.extra["published_raw"] == "2023-10-14T16:20:00-04:00"
    # The canonical link, without its tracking parameter.
    assert article.url == "https://www.northshore-courier.example/news/lakeside-ferry-returns"
    assert article.id == article.url
    for paragraph in FERRY_PARAGRAPHS:
        assert paragraph in article.body
    assert article.body.startswith(FERRY_PARAGRAPHS[0])  # headline not repeated in the body
    assert "said on Friday.\n\nHarbour master" in article.body
    assert article.body.count("\n\n") == len(FERRY_PARAGRAPHS) - 1
    for boilerplate in (
        "We use cookies",
        "Accept all",
        "Local News",
        "Sport Scores",
        "Subscribe Today",
        "Your town, every morning",
        "All rights reserved",
        "Related stories",
        "Bridge tolls to rise",
    ):
        assert boilerplate not in article.body


@pytest.mark.parametrize(
    "charset_meta",
    ["", '<meta charset="iso-8859-1">'],
    ids=["undeclared", "declared"],
)
def test_latin1_html_is_decoded(tmp_path: Path, charset_meta: str) -> None:
    page = (
        f"<html><head>{charset_meta}<title>Café owners in Zürich hire new chef</title></head>"
        "<body><article><h1>Café owners in Zürich hire new chef</h1>"
        "<p>The owners of the Café Rösti in Zürich said on Monday that a chef from São Paulo "
        "would take over the kitchen in the spring.</p>"
        "<p>Regulars welcomed the news, though some feared the crème brûlée would vanish.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "latin1.html"
    path.write_bytes(page.encode("latin-1"))
    assert b"Caf\xe9" in path.read_bytes()  # really Latin-1 bytes, not UTF-8
    [article] = _read(path)
    assert isinstance(article, Article)
    assert article.title == "Café owners in Zürich hire new chef"
    assert "Café Rösti in Zürich" in article.body and "São Paulo" in article.body
    assert "crème brûlée" in article.body


def test_html_without_article_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "menu-only.html"
    path.write_text("<html><body><nav>Home</nav></body></html>")
    [error] = _read(path)
    assert isinstance(error, IngestError)
    assert "menu-only.html" in str(error) and "no article text found in the HTML page" in str(error)


# --- Feeds ------------------------------------------------------------------------------------


def test_rss_feed_items() -> None:
    cider, library, cycle_lane = _read(FORMATS / "feed.rss")
    assert isinstance(cider, Article) and isinstance(library, Article)
    assert isinstance(cycle_lane, Article)
    for article in (cider, library, cycle_lane):
        assert article.source == "Valley Gazette"  # the channel title
    # content:encoded wins over the shorter description; HTML becomes paragraphs.
    assert cider.title == "Orchard co-op opens cider press to the public"
    assert cider.body.startswith("The Hollow Creek orchard co-operative will open its cider press")
    assert "small fee.\n\nCo-op chair Dana Whitfield" in cider.body
    assert "Bookings open on Monday & slots are limited" in cider.body  # entity unescaped
    assert "press will run on weekends" not in cider.body
    assert "<p>" not in cider.body
    assert cider.url == "https://valley-gazette.example/news/cider-press"
    assert cider.author == "Priya Natarajan"  # from "email (Name)"
    # Only a description (escaped HTML): used, with its paragraph break.
    assert library.body == (
        "The central library will stay open until 10 p.m. on weekdays from 13 November so "
        "students can revise.\n\nStaff said the pilot would be reviewed in January."
    )
    assert library.author is None
    # dc:creator and an RFC-822 date with a zone offset.
    assert cycle_lane.author == "Tom Okafor"
    assert cycle_lane.published_at == "2023-11-03T14:15:00+00:00"
    assert cycle_lane.extra["published_raw"] == "Fri, 03 Nov 2023 09:15:00 -0500"
    assert cycle_lane.url == "https://valley-gazette.example/news/mill-road-cycle-lane"


def test_atom_feed_entries() -> None:
    quota, lighthouse = _read(FORMATS / "feed.atom")
    assert isinstance(quota, Article) and isinstance(lighthouse, Article)
    assert quota.title == "Fishing fleet gets new quota for winter season"
    assert quota.source == "Harbour Times"
    assert quota.author == "Ines Moreau"
    assert quota.body == (
        "The regional fisheries board has set the winter cod quota at 1,150 tonnes, up four "
        "percent on last year.\n\nSkippers welcomed the rise but warned that fuel costs still "
        "made many trips uneconomic."
    )
    assert "Quota for cod rises slightly" not in quota.body  # content, not summary
    # <published> is preferred over <updated>.
    assert quota.published_at == "2023-12-04T07:00:00+00:00"
    assert quota.extra["published_raw"] == "2023-12-04T08:00:00+01:00"
    assert quota.url == "https://harbour-times.example/2023/12/winter-quota"
    # Summary only, and the entry's own <source> names its outlet.
    assert lighthouse.source == "Other Outlet"
    assert lighthouse.author == "Sam Adeyemi"
    assert lighthouse.body.startswith("The Point Reyne lighthouse museum has been awarded")
    assert lighthouse.published_at == "2023-12-05T17:45:00+00:00"


def test_feed_entry_without_text_is_an_error_with_its_record(tmp_path: Path) -> None:
    path = tmp_path / "thin.rss"
    path.write_text(
        '<rss version="2.0"><channel><title>Wire</title>'
        "<item><title>Title only</title><link>https://wire.example/a</link></item>"
        "<item><title>Has text</title><description>Ferry fares rise by five percent.</description></item>"
        "</channel></rss>"
    )
    error, article = _read(path)
    assert isinstance(error, IngestError) and "(record 1)" in str(error)
    assert isinstance(article, Article) and article.body == "Ferry fares rise by five percent."


def test_xml_that_is_not_a_feed_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.xml"
    path.write_text("<config><a>1</a></config>")
    [error] = _read(path)
    assert isinstance(error, IngestError)
    assert "settings.xml" in str(error) and "not an RSS or Atom feed" in str(error)


# --- WARC -------------------------------------------------------------------------------------


def _page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<nav><a href='/'>Front page</a> <a href='/opinion'>Opinion columns</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>© 2024 Riverside Post. All rights reserved.</footer></body></html>"
    )


SCHOOL = _page(
    "School roof repairs finish before term",
    [
        "Repairs to the leaking roof of Eastfield Primary School finished on Friday, three days "
        "before pupils return for the autumn term.",
        "Head teacher Ruth Adair said the two classrooms closed since March would reopen.",
    ],
)
MARKET = _page(
    "Night market returns to the riverside",
    [
        "The riverside night market will return on Saturday with forty stalls selling street "
        "food, crafts and secondhand books.",
        "Organisers said the market would run every weekend until the end of October.",
    ],
)


def _write_warc(path: Path, compress: bool) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=compress)

        def response(url: str, status: str, content_type: str, payload: bytes) -> None:
            headers = StatusAndHeaders(
                status, [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(payload), http_headers=headers
                )
            )

        request = StatusAndHeaders(
            "GET /news/school-roof HTTP/1.1",
            [("Host", "riverside-post.example")],
            is_http_request=True,
        )
        writer.write_record(
            writer.create_warc_record(
                "https://riverside-post.example/news/school-roof",
                "request",
                payload=BytesIO(b""),
                http_headers=request,
            )
        )
        response(
            "https://riverside-post.example/news/school-roof",
            "200 OK",
            "text/html; charset=iso-8859-1",
            SCHOOL.encode("latin-1"),
        )
        response(
            "https://riverside-post.example/logo.png",
            "200 OK",
            "image/png",
            b"\x89PNG\r\n\x1a\n" + bytes(64),
        )
        response(
            "https://riverside-post.example/news/gone",
            "404 Not Found",
            "text/html",
            _page(
                "Page not found",
                ["Sorry, the page you were looking for has moved or no longer exists."],
            ).encode(),
        )
        response(
            "https://riverside-post.example/news/night-market",
            "200 OK",
            "text/html",
            MARKET.encode(),
        )


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_html_responses_become_articles(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _write_warc(path, compress=name.endswith(".gz"))
    results = _read(path)
    assert _errors(results) == []
    school, market = _articles(results)
    assert school.url == "https://riverside-post.example/news/school-roof"
    assert school.title == "School roof repairs finish before term"
    assert school.body.startswith("Repairs to the leaking roof of Eastfield Primary School")
    assert "autumn term.\n\nHead teacher Ruth Adair" in school.body
    assert "Opinion columns" not in school.body and "All rights reserved" not in school.body
    assert school.source == "riverside-post.example"  # no site name: the URL's host
    assert market.url == "https://riverside-post.example/news/night-market"
    assert market.title == "Night market returns to the riverside"
    assert "Organisers said the market would run every weekend" in market.body


def test_truncated_warc_gz_is_an_error_naming_the_file(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc.gz"
    _write_warc(whole, compress=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) // 2])
    results = _read(cut)
    errors = _errors(results)
    assert len(errors) == 1 and "cut.warc.gz" in errors[0] and "truncated" in errors[0]
    assert {a.title for a in _articles(results)} <= {"School roof repairs finish before term"}


def test_truncated_warc_keeps_the_pages_before_the_break(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc"
    _write_warc(whole, compress=False)
    cut = tmp_path / "cut.warc"
    cut.write_bytes(whole.read_bytes()[:-120])  # inside the last page's payload
    results = _read(cut)
    assert [a.title for a in _articles(results)] == ["School roof repairs finish before term"]
    [error] = _errors(results)
    assert "cut.warc" in error and "truncated web archive" in error and "record 5" in error


# --- CSV --------------------------------------------------------------------------------------


def test_csv_with_other_column_names_and_a_row_without_text() -> None:
    results = _read(FORMATS / "articles.csv")
    assert len(results) == 3
    tram, error, recall = results
    assert isinstance(tram, Article) and isinstance(recall, Article)
    assert isinstance(error, IngestError)
    assert "articles.csv (record 2)" in str(error) and "no article text" in str(error)
    assert tram.title == "Tram line extension wins final approval"
    assert tram.body == (
        "The city council gave final approval on Tuesday to a 4.2-kilometre extension of the "
        "No. 7 tram line, which will add six stops in the eastern suburbs.\n\nConstruction is "
        "expected to start next spring and finish by late 2026, officials said."
    )
    assert tram.author == "Ada Brennan"
    assert tram.source == "Metro Ledger"
    assert tram.published_at == "2023-09-19T16:05:00+00:00"
    assert tram.url == "https://metro-ledger.example/transport/tram-extension"
    assert recall.title == "Bakery chain recalls rye loaves"
    assert recall.author == "Jon Ekberg"
    assert recall.published_at == "2023-09-22T11:00:00+00:00"
    assert recall.extra["published_raw"] == "Fri, 22 Sep 2023 11:00:00 GMT"


def test_latin1_semicolon_csv_with_a_field_mapping(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = (
        "title;copy;source\n"
        'Café reopens in Zürich;"The lakeside café in Zürich reopened, with a chef from São Paulo.";Alpine Courier\n'
    )
    path.write_bytes(rows.encode("latin-1"))
    unmapped = _read(path)
    assert "no article text" in _errors(unmapped)[0]
    [article] = _read(path, {"body": "copy"})
    assert isinstance(article, Article)
    assert article.title == "Café reopens in Zürich"
    assert article.body == "The lakeside café in Zürich reopened, with a chef from São Paulo."
    assert article.source == "Alpine Courier"


def test_tsv_uses_tabs(tmp_path: Path) -> None:
    path = tmp_path / "wire.tsv"
    path.write_text("title\ttext\nFares, tolls and taxes\tBus fares rise, tolls stay the same.\n")
    [article] = _read(path)
    assert isinstance(article, Article)
    assert article.title == "Fares, tolls and taxes"
    assert article.body == "Bus fares rise, tolls stay the same."


def test_random_bytes_in_a_csv_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(256)) * 8)
    [error] = _read(path)
    assert isinstance(error, IngestError) and "x.csv" in str(error)


# --- gzip -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["article.html", "feed.rss", "feed.atom", "articles.csv"])
def test_gzipped_file_reads_like_the_plain_one(tmp_path: Path, name: str) -> None:
    packed = tmp_path / f"{name}.gz"
    with (FORMATS / name).open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain, unpacked = _read(FORMATS / name), _read(packed)
    assert _articles(unpacked) and all(a.path == str(packed) for a in _articles(unpacked))
    assert _without_path(_articles(unpacked)) == _without_path(_articles(plain))
    assert len(_errors(unpacked)) == len(_errors(plain))
