"""Bylines: person names only, from the kinds of author fields real pages and exports carry."""

from __future__ import annotations

import pytest

from ingest.bylines import join_names, person_names


@pytest.mark.parametrize(
    ("byline", "outlets", "names"),
    [
        # The bylines of the hand check, each with what a reader would cite.
        ("Tom Gillespie News reporter", [], ["Tom Gillespie"]),
        ("Jill Disis; CNN Business", ["CNN"], ["Jill Disis"]),
        (
            "Finian Cunningham Sputnik International",
            ["Sputnik International"],
            ["Finian Cunningham"],
        ),
        ("Admin", [], []),
        ("Mike Wuerthele; Malcolm Owen Monday; November", [], ["Mike Wuerthele", "Malcolm Owen"]),
        ("JERUSALEM POST STAFF NOVEMBER", [], []),
        ("Phil Helsel is a reporter", [], ["Phil Helsel"]),
        ("Detroit News wire services Published", [], []),
        # Other shapes seen on real pages.
        (
            "Dana A. Ford, James S.A. Corey, Chien-Ming Wang, and Tom Watkins, CNN",
            ["CNN"],
            ["Dana A. Ford", "James S.A. Corey", "Chien-Ming Wang", "Tom Watkins"],
        ),
        ("Matt Friedman | NJ Advance Media for NJ.com", ["NJ.com"], ["Matt Friedman"]),
        ("Keith Spera, NOLA.com | The Times-Picayune", [], ["Keith Spera"]),
        ("Ari Wasserman, Northeast Ohio Media Group", [], ["Ari Wasserman"]),
        ("Lucy Berry | lberry@al.com", [], ["Lucy Berry"]),
        ("By @janedoe Jane Doe", [], ["Jane Doe"]),
        ("Motley Fool Staff", [], []),
        ("Photo by The Associated Press", [], []),
        ("Stevie Martin; Staff Writer; Tuesday", [], ["Stevie Martin"]),
        ("Lynne Eldridge MD", [], ["Lynne Eldridge"]),
        ("JOHN MARZULLI", [], ["John Marzulli"]),
        ("Mike D&#39;Angelo", [], ["Mike D'Angelo"]),
        ("By Ludwig van Beethoven and A.A. Dowd", [], ["Ludwig van Beethoven", "A.A. Dowd"]),
        ("Architectural Digest", ["Architectural Digest"], []),
        ("Haje Jan Kamps", [], ["Haje Jan Kamps"]),  # a month's name inside a name
        ("Posted Jan 5", [], []),
        ("Jonathan Liew at Old Trafford", [], ["Jonathan Liew"]),
        ("Jane Doe in Kyiv and John Roe in Lviv", [], ["Jane Doe", "John Roe"]),
        ("Teen Vogue Magazine", [], []),
        ("http://nypost.com/author/keith-j-kelly/", [], []),
        (
            ["Jens Manuel Krogstad", "Jeffrey S. Passel"],
            [],
            ["Jens Manuel Krogstad", "Jeffrey S. Passel"],
        ),
    ],
)
def test_person_names(byline: object, outlets: list[str], names: list[str]) -> None:
    assert person_names(byline, outlets) == names


def test_an_outlet_run_into_a_long_name_is_cut_with_spacy() -> None:
    """Without the outlet's name to remove, spaCy tells "Sputnik International" is not part of
    the person's name."""
    assert person_names("Finian Cunningham Sputnik International") == ["Finian Cunningham"]
    # Rules alone cannot tell, so they keep nothing rather than a wrong name.
    assert person_names("Finian Cunningham Sputnik International", ner_model=None) == []


def test_a_place_in_a_byline_read_from_the_text_is_not_a_person() -> None:
    byline = "Patricio Candia | Palma de Mallorca | 08/01/2014"
    assert person_names(byline, from_text=True) == ["Patricio Candia"]


def test_names_are_kept_once_and_joined_for_display() -> None:
    names = person_names(["Jane Doe", "jane doe", "By Jane Doe and Ravi Patel"])
    assert names == ["Jane Doe", "Ravi Patel"]
    assert join_names(names) == "Jane Doe and Ravi Patel"
    assert join_names(["A B", "C D", "E F"]) == "A B, C D and E F"
    assert join_names([]) is None
