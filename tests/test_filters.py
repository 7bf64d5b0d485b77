"""qa.retrieval.filters: outlet names matched forgivingly, unknown ones named with the closest, dates
checked with the field named."""

from __future__ import annotations

import pytest

from qa.errors import FilterError
from qa.retrieval.filters import check_date, resolve, resolve_outlets
from qa.types import SearchFilters

OUTLETS = [
    "TechCrunch",
    "The Verge",
    "Cnbc | World Business News Leader",
    "The Independent - Sports",
    "The Independent - Travel",
    "CBSSports.com",
    "Antiwar.com",
    "Sporting News",
]


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("techcrunch", ("TechCrunch",)),
        ("TECH-CRUNCH", ("TechCrunch",)),
        ("the verge", ("The Verge",)),
        ("Verge", ("The Verge",)),
        ("cnbc", ("Cnbc | World Business News Leader",)),
        ("The Independent", ("The Independent - Sports", "The Independent - Travel")),
        ("cbssports.com", ("CBSSports.com",)),
        ("antiwar", ("Antiwar.com",)),
        (" sporting news ", ("Sporting News",)),
    ],
)
def test_outlets_match_in_any_case_and_punctuation(asked: str, found: tuple[str, ...]) -> None:
    assert resolve_outlets([asked], OUTLETS) == found


def test_an_unknown_outlet_is_an_error_naming_the_closest() -> None:
    with pytest.raises(FilterError) as caught:
        resolve_outlets(["techcrunh"], OUTLETS)
    assert caught.value.message == "The archive holds no articles from an outlet named 'techcrunh'"
    assert caught.value.hint == "did you mean TechCrunch?" and caught.value.field == "sources"
    with pytest.raises(FilterError) as caught:
        resolve_outlets(["TechCrunch", "Bloomberg", "Reuters"], OUTLETS)
    assert "outlets named 'Bloomberg', 'Reuters'" in caught.value.message
    assert caught.value.hint.startswith("the archive's outlets: Antiwar.com, CBSSports.com")
    with pytest.raises(FilterError, match="no outlets to filter by"):
        resolve_outlets(["TechCrunch"], [])


def test_filters_are_resolved_and_their_dates_checked_by_field() -> None:
    assert resolve(None, OUTLETS) is None
    got = resolve(SearchFilters(sources=("techcrunch",), since="2023-10-01"), OUTLETS)
    assert got == SearchFilters(sources=("TechCrunch",), since="2023-10-01")
    for field in ("since", "until", "as_of"):
        with pytest.raises(FilterError) as caught:
            resolve(SearchFilters(**{field: "last tuesday"}), OUTLETS)
        assert caught.value.field == field
        assert caught.value.message == "Not an ISO-8601 date: 'last tuesday'"
    check_date("", "since")
    check_date("2023-10-05T12:00", "since")
    with pytest.raises(FilterError):
        check_date("2023-13-45", "until")
