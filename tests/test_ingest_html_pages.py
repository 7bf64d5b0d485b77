"""Web pages shaped like the failures seen on real news pages: placeholder dates, handles and
navigation strings as outlets, site suffixes in titles, table layouts, paywall and consent
stubs, error pages, section fronts and menus. Then the hand-checked real pages (when
../shared/data is there): the issue's targets for bylines, outlets and dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import ROOT, SHARED
from ingest.formats.html_body import _Run, _too_little, word_count
from ingest.formats.html_meta import agrees_with_url
from ingest.formats.html_site import matches_host, strip_site_suffix
from ingest.normalise import normalise_date, plausible_date
from ingest.readers import read_path
from qa.errors import IngestError
from qa.types import Article

STORY = [
    "The city council voted on Tuesday to extend the harbour tram line by four stops, ending "
    "a debate that had run for the better part of three years and split the two main parties.",
    "Engineers expect work to start in the spring, with the first trams running on the new "
    "stretch by the autumn of next year if the steel for the rails arrives on time.",
    "Residents of the eastern quarter, who now walk twenty minutes to the nearest stop, "
    "welcomed the decision, while shop owners on the route asked for help during the works.",
    "The mayor said the extension would be paid for from the transport budget without raising "
    "fares, and that the council would publish the contracts once they were signed.",
]


def page(head: str = "", before: str = "", after: str = "", paragraphs: list[str] = STORY) -> str:
    """A news page: `head` tags, then the story's paragraphs with `before`/`after` markup."""
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>Tram line to grow</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{before}"
        f"<article><h1>Tram line to grow</h1>{text}</article>{after}"
        "<footer>© 2024 The Harbour Gazette</footer></body></html>"
    )


def read(tmp_path: Path, html: str, name: str = "story.html") -> Article | IngestError:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    [result] = list(read_path(path))
    return result


def article(tmp_path: Path, html: str) -> Article:
    result = read(tmp_path, html)
    assert isinstance(result, Article), result
    return result


def refusal(tmp_path: Path, html: str) -> str:
    result = read(tmp_path, html)
    assert isinstance(result, IngestError), f"stored as an article: {result}"
    assert "story.html" in str(result)
    return result.reason


# --- bylines ----------------------------------------------------------------------------------


def test_byline_from_json_ld_persons_not_its_organisation(tmp_path: Path) -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Tram line to grow",
        "author": [
            {"@type": "Person", "name": "Jill Disis"},
            {"@type": "Organization", "name": "CNN Business"},
            {"@type": "Person", "name": "Tom Watkins"},
        ],
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    head += "<meta name='author' content='Admin'>"
    found = article(tmp_path, page(head))
    assert found.authors == ["Jill Disis", "Tom Watkins"]
    assert found.author == "Jill Disis and Tom Watkins"
    assert found.extra["author_source"] == "json-ld:author"


def test_a_byline_without_a_person_is_dropped(tmp_path: Path) -> None:
    head = "<meta name='author' content='JERUSALEM POST STAFF NOVEMBER'>"
    before = "<p class='byline'>Detroit News wire services Published</p>"
    found = article(tmp_path, page(head, before))
    assert found.author is None and found.authors == []


def test_marked_up_byline_of_the_article_not_of_a_related_box(tmp_path: Path) -> None:
    before = (
        "<div class='related-stories'><div class='byline'>By <span class='author'>"
        "Alana Semuels</span></div></div>"
        "<span class='authors'><a rel='author' href='/noah'>Noah Charney</a> and "
        "<a rel='author' href='/ana'>Ana Ruiz</a></span>"
    )
    assert article(tmp_path, page(before=before)).authors == ["Noah Charney", "Ana Ruiz"]


def test_a_fuller_byline_on_the_page_wins_over_a_meta_tag_naming_one(tmp_path: Path) -> None:
    head = "<meta name='author' content='Harriet Alexander'>"
    before = "<p class='bylineBody'>By Harriet Alexander, Andrew Marszal and Josie Ensor</p>"
    found = article(tmp_path, page(head, before))
    assert found.authors == ["Harriet Alexander", "Andrew Marszal", "Josie Ensor"]


# --- outlets ----------------------------------------------------------------------------------


def test_outlet_is_the_publishers_name_not_a_social_handle(tmp_path: Path) -> None:
    ld = {"@type": "NewsArticle", "publisher": {"@type": "Organization", "name": "Sputnik News"}}
    head = (
        "<meta name='twitter:site' content='@SputnikInt'>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    )
    assert article(tmp_path, page(head)).source == "Sputnik News"
    head = "<meta property='og:site_name' content='Grazia_Live'>"
    head += "<link rel='canonical' href='https://www.graziadaily.co.uk/a/story'>"
    assert article(tmp_path, page(head)).source == "graziadaily.co.uk"


def test_outlet_is_never_a_navigation_string(tmp_path: Path) -> None:
    head = (
        "<meta property='og:site_name' content='Autoracing | F1 | Indy | MotoGP | StockCar'>"
        "<link rel='canonical' href='https://www.motorsport.example/f1/story'>"
    )
    assert article(tmp_path, page(head)).source == "motorsport.example"


def test_outlet_from_the_host_is_written_as_the_site_writes_it(tmp_path: Path) -> None:
    head = "<link rel='canonical' href='https://www.nj.com/politics/2015/01/story.html'>"
    after = "<p>Follow NJ.com on Facebook. Copyright NJ.com</p>"
    assert article(tmp_path, page(head, after=after)).source == "NJ.com"
    # Without the name on the page: the registered domain as it is, never "Nj".
    assert article(tmp_path, page(head)).source == "nj.com"


def test_a_section_name_in_og_site_name_gives_way_to_the_sites_name(tmp_path: Path) -> None:
    head = (
        "<meta property='og:site_name' content='Opinion Blog'>"
        "<link rel='canonical' href='https://www.dallasnews.com/opinion/story'>"
    )
    html = page(head).replace(
        "<title>Tram line to grow</title>", "<title>Tram line to grow | Dallas Morning News</title>"
    )
    assert article(tmp_path, html).source == "Dallas Morning News"


def test_matches_host() -> None:
    assert matches_host("NJ.com", "nj.com")
    assert matches_host("The Boston Herald", "bostonherald.com")
    assert matches_host("Condé Nast Traveler", "cntraveler.com")
    assert not matches_host("Opinion Blog", "dallasnews.com")


# --- titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "site", "domain", "expected"),
    [
        ("Tram line to grow - IGN", "IGN", "ign.com", "Tram line to grow"),
        ("Tram line to grow | Reuters", "Reuters India", "reuters.com", "Tram line to grow"),
        ("Tram line to grow | NJ.com", "NJ.com", "nj.com", "Tram line to grow"),
        ("Tram line to grow: latest - Telegraph", "Telegraph.co.uk", "telegraph.co.uk",
         "Tram line to grow: latest"),
        # A suffix that is not the outlet stays; so does a title that is only the outlet.
        ("Before & After: A Year of Hacks — Best of 2014", "Apartment Therapy",
         "apartmenttherapy.com", "Before & After: A Year of Hacks — Best of 2014"),
        ("Reuters", "Reuters", "reuters.com", "Reuters"),
    ],
)  # fmt: skip
def test_titles_lose_the_outlets_suffix(title: str, site: str, domain: str, expected: str) -> None:
    assert strip_site_suffix(title, [site], domain) == expected


def test_page_title_without_suffix_and_entities(tmp_path: Path) -> None:
    head = (
        "<meta property='og:site_name' content='IGN'>"
        "<meta property='og:title' content='Tram line &amp;#039;to grow&amp;#039; - IGN'>"
    )
    assert article(tmp_path, page(head)).title == "Tram line 'to grow'"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "kind"),
    [
        ("0001-01-01T00:00:00", "year before 1900"),
        ("1970-01-01T00:00:00Z", "the Unix epoch"),
        ("1969-12-31T19:00:00-05:00", "the epoch in another zone"),
        ((datetime.now(UTC) + timedelta(days=30)).isoformat(), "a month ahead"),
    ],
)
def test_placeholder_dates_give_way_to_the_next_source(
    tmp_path: Path, placeholder: str, kind: str
) -> None:
    ld = {"@type": "NewsArticle", "headline": "Tram line to grow", "datePublished": placeholder}
    head = (
        f"<meta property='article:published_time' content='{placeholder}'>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        "<meta name='parsely-pub-date' content='2019-05-02T08:30:00Z'>"
    )
    found = article(tmp_path, page(head))
    assert found.published_at == "2019-05-02T08:30:00+00:00", kind
    assert found.extra["date_source"] == "meta:parsely-pub-date"


def test_only_placeholder_dates_give_no_date(tmp_path: Path) -> None:
    ld = {"@type": "NewsArticle", "headline": "Tram line to grow", "datePublished": "0001-01-01"}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    found = article(tmp_path, page(head))
    assert found.published_at is None and "date_source" not in found.extra


def test_a_date_far_from_the_urls_date_is_a_templates(tmp_path: Path) -> None:
    head = (
        "<meta property='article:published_time' content='2009-09-02T00:00:00-04:00'>"
        "<meta name='parsely-pub-date' content='2014-05-23T13:30:00Z'>"
        "<link rel='canonical' href='https://www.gq.example/style/2014/05/how-to-pack'>"
    )
    assert article(tmp_path, page(head)).published_at == "2014-05-23T13:30:00+00:00"
    assert agrees_with_url("2014-12-02T10:00:00+00:00", "https://ad.example/2015-01/story")
    assert not agrees_with_url("2009-09-02T00:00:00+00:00", "https://gq.example/2014/05/story")


def test_plausible_date() -> None:
    now = datetime(2024, 1, 10, 12, tzinfo=UTC)
    assert plausible_date("2024-01-10T23:00:00+00:00", now)
    assert plausible_date("2024-01-11T09:00:00+00:00", now)  # within a day: time zones
    assert not plausible_date("2024-01-12T00:00:00+00:00", now)
    assert not plausible_date(normalise_date("0001-01-01"), now)
    assert not plausible_date("1899-12-31T00:00:00+00:00", now)
    assert not plausible_date(None, now)


def test_a_json_record_with_a_placeholder_date_keeps_it_as_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"title": "T", "body": STORY[0], "date": "0001-01-01"}) + "\n")
    [found] = list(read_path(path))
    assert isinstance(found, Article)
    assert found.published_at is None and found.extra["date_rejected"] == "0001-01-01"


# --- bodies -----------------------------------------------------------------------------------


def test_paragraphs_of_nested_blocks_stay_apart(tmp_path: Path) -> None:
    nested = "".join(f"<div><p>{p}</p></div>" for p in STORY)
    html = page(paragraphs=[]).replace("</h1>", f"</h1><div class='body'>{nested}</div>")
    found = article(tmp_path, html)
    assert found.body.split("\n\n") == STORY


def test_table_layout_page_is_read(tmp_path: Path) -> None:
    """An old table-layout page: the text sits in table cells beside a menu column."""
    cells = "".join(f"<tr><td class='text'>{p}</td></tr>" for p in STORY)
    html = (
        "<html><head><title>Tram line to grow</title></head><body><table>"
        "<tr><td><a href='/'>Home</a><br><a href='/a'>Archive</a></td>"
        f"<td><table>{cells}</table></td></tr></table></body></html>"
    )
    found = article(tmp_path, html)
    for paragraph in STORY:
        assert paragraph in found.body


def test_recall_mode_only_when_the_precise_text_is_too_little() -> None:
    long = [" ".join(["word"] * 300)]
    assert _too_little([], _Run(long, {}, 0.0))
    assert _too_little(["Just a caption of six words"], _Run(long, {}, 0.0))
    assert not _too_little(STORY, _Run(STORY + STORY[:1], {}, 0.0))  # not twice as much
    assert not _too_little(["A caption"], _Run(long, {}, 0.9))  # mostly links: a menu


@pytest.mark.parametrize(
    ("paragraphs", "reason"),
    [
        (
            [
                "This copy is for your personal, non-commercial use only. To order "
                "presentation-ready copies for distribution to your colleagues, clients or "
                "customers visit our reprints page.",
                "The city council voted on Tuesday to extend the harbour tram line.",
                "Subscribe now to continue reading. Already a subscriber? Sign in.",
            ],
            "paywall",
        ),
        (
            [
                "We value your privacy. We and our partners use cookies and similar "
                "technologies to store and access personal data on your device.",
                "You can accept all or manage your preferences, including your right to "
                "object where legitimate interest is used. Read our privacy policy.",
            ],
            "consent",
        ),
    ],
    ids=["paywall", "consent"],
)
def test_stubs_are_refused_with_a_reason(
    tmp_path: Path, paragraphs: list[str], reason: str
) -> None:
    assert reason in refusal(tmp_path, page(paragraphs=paragraphs))


def test_a_paywalled_article_marked_so_with_a_teaser_is_refused(tmp_path: Path) -> None:
    ld = {"@type": "NewsArticle", "headline": "Tram line to grow", "isAccessibleForFree": False}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    teaser = [STORY[0], "Subscribe to continue reading this article."]
    assert "paywall" in refusal(tmp_path, page(head, paragraphs=teaser))


def test_error_page_is_refused(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Page Not Found</title></head><body><h1>404 Errors</h1>"
        "<p>The page you asked for has moved or never existed on this site at all.</p>"
        "<p>Use your browser's back button to return to the page that brought you here.</p>"
        "</body></html>"
    )
    assert "error page" in refusal(tmp_path, html)


def test_section_front_of_teasers_is_refused(tmp_path: Path) -> None:
    teasers = [
        f"Story number {i} about the harbour, the council and the trams, told in a few "
        "lines before the link to the rest of it …"
        for i in range(8)
    ]
    assert "section front" in refusal(tmp_path, page(paragraphs=teasers))


def test_home_page_is_refused(tmp_path: Path) -> None:
    head = (
        "<meta property='og:type' content='website'>"
        "<meta property='og:site_name' content='Harbour Gazette'>"
        "<link rel='canonical' href='https://www.harbour-gazette.example/'>"
    )
    html = page(head).replace("<title>Tram line to grow</title>", "<title>Harbour Gazette</title>")
    assert "home page" in refusal(tmp_path, html)


def test_menu_text_is_refused(tmp_path: Path) -> None:
    items = "".join(f"<p>Section {i}</p>" for i in range(40))
    html = f"<html><head><title>Sections</title></head><body><div>{items}</div></body></html>"
    reason = refusal(tmp_path, html)
    assert "menus" in reason or "no article text" in reason


def test_redirect_page_names_its_target(tmp_path: Path) -> None:
    html = (
        "<script>window.location.replace('https://example.org/a')</script>"
        "<noscript><META http-equiv='refresh' content=\"0;URL='https://example.org/a'\">"
        "</noscript>"
    )
    assert "redirect to https://example.org/a" in refusal(tmp_path, html)


def test_words_in_unspaced_scripts_are_counted() -> None:
    assert word_count("東京で会議が開かれた") == 5
    assert word_count("Tokyo 会議") == 2


# --- the hand-checked real pages --------------------------------------------------------------

PAGES = SHARED / "data" / "real-pages" / "html"
EXPECTED = ROOT / "eval" / "data" / "real_pages_expected.json"


@pytest.mark.skipif(not PAGES.is_dir(), reason="../shared/data/real-pages is not here")
def test_hand_checked_real_pages_meet_the_targets() -> None:
    """Bylines right on at least 9 in 10 pages that name an author, outlets on 9.5 in 10, no
    placeholder date (values read by a person from each page: eval/data)."""
    from eval.real_pages import _norm

    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert len(expected) >= 30
    bylines = outlets = named = 0
    for want in expected:
        [found] = list(read_path(PAGES / want["page"]))
        assert isinstance(found, Article), found
        assert found.published_at is None or plausible_date(found.published_at)
        outlets += _norm(found.source) in {_norm(o) for o in want["outlet"]}
        if want["authors"]:
            named += 1
            bylines += [_norm(a) for a in found.authors] == [_norm(a) for a in want["authors"]]
    assert bylines >= 0.9 * named, f"bylines right on {bylines}/{named}"
    assert outlets >= 0.95 * len(expected), f"outlets right on {outlets}/{len(expected)}"
