"""Yes/no questions (qa.answers.yesno) with the extractive answerer, the fake embedder and the
real spaCy pipeline: the verdict opens the answer, and it says what the question asks."""

from __future__ import annotations

import pytest

from qa.answers.extractive import ExtractiveAnswerer
from qa.answers.yesno import _consistency, _main_clause
from qa.config import Settings
from qa.embedding import FakeEmbedder
from qa.nlp import entity_reader
from qa.types import Passage


def _passage(pid: str, source: str, date: str, text: str) -> Passage:
    return Passage(
        id=pid,
        text=text,
        article_id=f"https://news.test/{pid}",
        title=f"Bridge news {pid}",
        source=source,
        author=None,
        published_at=f"{date}T00:00:00+00:00",
        url=f"https://news.test/{pid}",
        start=0,
        end=len(text),
    )


PASSAGES = [
    _passage(
        "h",
        "Harbour Herald",
        "2023-10-05",
        "The harbour bridge will close in March for repairs, the council said.",
    ),
    _passage(
        "c",
        "City Times",
        "2023-10-09",
        "The council confirmed the harbour bridge closure in March and added ferry trips.",
    ),
]


def _ask(question: str) -> str:
    answerer = ExtractiveAnswerer(FakeEmbedder(), Settings(min_evidence=0.1).answers)
    return answerer.answer(question, PASSAGES).text


def test_order_in_time_is_read_from_the_reports_dates() -> None:
    text = _ask(
        "Was the Harbour Herald report on the bridge closure published before the City Times "
        "report on the bridge closure?"
    )
    assert text.startswith(
        "Yes: the Harbour Herald report is dated 2023-10-05, the City Times one 2023-10-09."
    ), text


def test_a_change_question_and_its_negation_get_opposite_verdicts() -> None:
    asked = "between the Harbour Herald report and the City Times report on the bridge closure?"
    changed = _ask(f"Was there a change in how the council described the closure {asked}")
    unchanged = _ask(f"Was there no change in how the council described the closure {asked}")
    assert changed.startswith("No: the reports don't contradict each other on this."), changed
    assert unchanged.startswith("Yes: the reports agree on this."), unchanged


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Was there a change in the portrayal of his wealth between the reports?", "change"),
        ("Was there no change in the portrayal of his wealth between the reports?", "same"),
        ("Did the narrative remain consistent between the Fortune and Verge reports?", "same"),
        ("Did the narrative not remain consistent between the two reports?", "change"),
        # Said of what one report suggests: a claim to check, not a comparison of reports.
        ("Does the TechCrunch article suggest a different approach than The Verge?", None),
    ],
)
def test_whether_a_question_asks_if_reports_agree(question: str, kind: str | None) -> None:
    tokens = entity_reader().tokens(question)
    assert _consistency(question, _main_clause(question), tokens) == kind


def test_a_report_published_after_a_date_is_not_a_question_of_order() -> None:
    text = _ask(
        "Was there a change in the closure plans between the Harbour Herald report published "
        "after October 1, 2023, and the City Times report on the bridge closure?"
    )
    assert "is dated" not in text.split(".")[0], text


@pytest.mark.parametrize(
    ("question", "verdict"),
    [
        (
            "Did the City Times report agree or disagree with the Harbour Herald report on the "
            "bridge closure?",
            "Agree: the reports agree on this.",
        ),
        (
            "Does the City Times report on the closure align with the Harbour Herald report on "
            "the bridge, or do they give differing dates for the closure?",
            "Align: the reports agree on this.",
        ),
    ],
)
def test_an_x_or_y_question_is_answered_with_an_option(question: str, verdict: str) -> None:
    text = _ask(question)
    assert text.startswith(verdict), text
