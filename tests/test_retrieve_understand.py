"""Question understanding: outlets matched against the archive's own outlets, and dates."""

from __future__ import annotations

from datetime import UTC, datetime

from qa.retrieval.understand import OutletMatcher, find_dates

OUTLETS = {
    "TechCrunch",
    "The Verge",
    "The Guardian",
    "The Independent - Sports",
    "The Independent - Travel",
    "CBSSports.com",
    "FOX News - Health",
    "The Age",
    "Fortune",
    "Eos: Earth And Space Science News",
}


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def test_outlets_are_matched_by_their_archive_names_and_short_forms() -> None:
    m = OutletMatcher(OUTLETS)
    found = dict(
        m.find(
            "Did The Verge and TechCrunch both report it, and did The Independent, "
            "CBS Sports, Fox News and Eos: Earth And Space Science News agree?"
        )
    )
    assert found["The Verge"] == {"The Verge"}
    assert found["TechCrunch"] == {"TechCrunch"}
    assert found["The Independent"] == {"The Independent - Sports", "The Independent - Travel"}
    assert found["CBS Sports"] == {"CBSSports.com"}
    assert found["Fox News"] == {"FOX News - Health"}
    assert found["Eos: Earth And Space Science News"] == {"Eos: Earth And Space Science News"}


def test_common_words_are_not_outlets_unless_capitalised() -> None:
    m = OutletMatcher(OUTLETS)
    assert m.find("an independent review of the age of fortune seekers") == []
    assert [name for name, _ in m.find("According to Fortune, the deal closed.")] == ["Fortune"]


def test_outlets_not_in_the_archive_are_not_found() -> None:
    assert OutletMatcher(OUTLETS).find("What did Reuters and Bloomberg report?") == []


def test_explicit_dates_become_day_and_month_ranges() -> None:
    ranges = find_dates(
        "Was the article published on October 5, 2023 before the 12th November 2023 one, "
        "or the one from 2023-12-01, in December 2023?"
    )
    days = [(_day(a), _day(b)) for a, b in ranges]
    assert ("2023-10-04", "2023-10-06") in days  # the day, with half a day either side
    assert ("2023-11-11", "2023-11-13") in days
    assert ("2023-11-30", "2023-12-02") in days
    assert ("2023-12-01", "2023-12-31") in days  # the month
    assert len(ranges) == 4


def test_relative_periods_count_from_the_as_of_date() -> None:
    as_of = datetime(2023, 12, 20, 15, 0, tzinfo=UTC)
    [(start, end)] = find_dates("What happened last week?", as_of)
    assert (_day(start), _day(end)) == ("2023-12-13", "2023-12-21")
    assert find_dates("What happened last week?") == []


def test_a_day_without_its_year_is_read_against_the_as_of_date() -> None:
    as_of = datetime(2023, 12, 20, 15, 0, tzinfo=UTC)
    q = "Did Sporting News report it on October 14th, after the 12th of October one?"
    days = sorted((_day(a), _day(b)) for a, b in find_dates(q, as_of))
    assert days == [("2023-10-11", "2023-10-13"), ("2023-10-13", "2023-10-15")]
    # A day still to come in the as-of year is last year's; a day with its year is read once.
    [(start, _)] = find_dates("What was said on December 25?", as_of)
    assert _day(start) == "2022-12-24"
    assert len(find_dates("Was it on October 14, 2023?", as_of)) == 1
    # Without an as-of date, or without a capital, no day is read.
    assert find_dates("Did Sporting News report it on October 14th?") == []
    assert find_dates("Prices may 20 percent higher?", as_of) == []


def test_the_answerer_reads_a_questions_outlet_clauses_as_the_retriever_does() -> None:
    from qa.answers.evidence import outlet_clauses
    from qa.retrieval.understand import OutletMatcher, analyse

    outlets = ["TechCrunch", "The Guardian"]
    q = (
        "Does the TechCrunch article suggest that users turn to Snapchat for news, while "
        "The Guardian discusses legal action against Snapchat over its use?"
    )
    retriever = analyse(q, OutletMatcher(outlets)).clauses
    answerer = outlet_clauses(q, outlets)
    assert [source for source, _ in answerer] == ["TechCrunch", "The Guardian"]
    assert [clause for _, clause in answerer] == [retriever[0], retriever[1]]
