"""The web chat's page: `create_app(assistant)` lays out the Gradio Blocks and wires its events.

What the page does lives in qa.serve (chat: a turn and the export; examples: the questions the
empty chat offers; archive: the archive tab); what an answer shows is rendered by
qa.answers.citations. qa.serve.server mounts this page on the HTTP API and serves both:
`newsdesk serve`, which `python app.py` also runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from qa.answers.citations import Turn, sources_html
from qa.errors import FilterError
from qa.serve.archive import archive_summary, article_table, outlet_table, upload_files
from qa.serve.chat import Message, answer_turn_stream, export_markdown, outlet_choices, turn_filters
from qa.serve.errors import error_markdown
from qa.serve.examples import ExampleQuestions

if TYPE_CHECKING:
    import gradio as gr

    from qa.assistant import Assistant
    from qa.serve.startup import Warmup

TITLE = "newsdesk"
INTRO = (
    "Ask a question about the archive. Every claim carries a numbered citation to the passage "
    "it comes from; when the archive does not answer, newsdesk says so."
)
LOADING = (
    "**Loading the model and the index…** The page works already; questions are answered "
    "as soon as loading ends (a few seconds)."
)
_DATE_INFO = {"as_of": "Read the archive as it stood on this date."}


def check_field(field: str, value: str | None) -> Any:
    """A date field of the filter panel, flagged when its value is not a date (on leaving it),
    the error and its hint under it."""
    import gradio as gr

    from qa.retrieval.filters import check_date

    try:
        check_date(value, field)
    except FilterError as exc:
        return gr.update(info=error_markdown(exc, label=False), elem_classes=["nd-bad"])
    return gr.update(info=_DATE_INFO.get(field, ""), elem_classes=[])


def create_app(assistant: Assistant, warmup: Warmup | None = None) -> gr.Blocks:
    """The chat page (filters; the conversation with streamed, cited answers; the sources panel
    with the evidence view; export and clear) and the archive tab (counts, coverage per month,
    the list of articles and of outlets, uploads).

    Building the page reads nothing from the archive: what depends on it (outlets, example
    questions, the archive tab) is filled in when a page loads, once `warmup` is done.
    """
    import gradio as gr

    from qa.browse import ArchiveList
    from qa.serve.uploads import allowed_suffixes

    listing = ArchiveList(assistant)
    examples_for = ExampleQuestions(assistant)

    def ready() -> bool:
        return warmup is None or warmup.ready

    def wait() -> None:
        if warmup is not None:
            warmup.wait()

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        status = gr.Markdown(LOADING, elem_id="status", visible=not ready())
        timer = gr.Timer(1.0, active=False)
        turns = gr.State([])
        with gr.Tab("Chat"), gr.Row(elem_id="chat-row"):
            with (
                gr.Column(scale=1, min_width=220, elem_id="filters"),
                gr.Accordion("Filters", open=True, elem_id="filters-box"),
            ):
                gr.Markdown("They apply to the next question.")
                outlets = gr.Dropdown(
                    choices=[],
                    multiselect=True,
                    allow_custom_value=True,
                    label="Outlets",
                    info="Pick, or type a name (any case) and press Enter.",
                    elem_id="outlets",
                )
                since = gr.Textbox(
                    label="Published since", placeholder="2023-10-01", elem_id="since"
                )
                until = gr.Textbox(
                    label="Published until", placeholder="2023-12-31", elem_id="until"
                )
                as_of = gr.Textbox(
                    label="As of",
                    placeholder="2023-11-15",
                    info=_DATE_INFO["as_of"],
                    elem_id="as-of",
                )
            with gr.Column(scale=3, min_width=320, elem_id="conversation"):
                chat = gr.Chatbot(
                    show_label=False,
                    height="auto",
                    elem_id="chat",
                    buttons=["copy"],
                    feedback_options=None,
                    placeholder="Ask about the archive; every claim comes with its source.",
                )
                with gr.Row(elem_id="ask-row"):
                    box = gr.Textbox(
                        placeholder="e.g. Who did Sullivan reportedly speak with?",
                        show_label=False,
                        scale=8,
                        elem_id="question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Row(elem_id="tools"):
                    export = gr.Button(
                        "Export the conversation (Markdown)", size="sm", elem_id="export"
                    )
                    clear = gr.Button("Clear the conversation", size="sm", elem_id="clear")
                exported = gr.File(
                    label="Exported conversation", elem_id="exported", visible=False, height=80
                )
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html(None), elem_id="sources")
        with gr.Tab("Archive"):
            summary = gr.Markdown(elem_id="archive-summary")
            per_month = gr.BarPlot(
                x="month",
                y="articles",
                title="Articles per month",
                y_lim=[0, None],
                elem_id="coverage",
            )
            with gr.Row():
                with gr.Column(scale=3, min_width=320):
                    gr.Markdown("### Articles")
                    find = gr.Textbox(
                        label="Search titles, outlets and bylines",
                        placeholder="e.g. techcrunch cybertruck",
                        elem_id="archive-search",
                    )
                    count = gr.Markdown(elem_id="archive-count")
                    articles = gr.Dataframe(
                        headers=["Published", "Title", "Outlet"],
                        datatype=["str", "markdown", "str"],
                        interactive=False,
                        wrap=True,
                        max_height=560,
                        column_widths=["16%", "58%", "26%"],
                        elem_id="articles",
                    )
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown("### Outlets")
                    outlets_by_count = gr.Dataframe(
                        headers=["Outlet", "Articles"],
                        datatype=["str", "number"],
                        column_widths=["72%", "28%"],
                        interactive=False,
                        wrap=True,
                        max_height=560,
                        elem_id="outlet-table",
                    )
            refresh = gr.Button("Refresh", size="sm")
            gr.Markdown(
                "### Add to the archive\n"
                f"Up to {assistant.settings.max_upload_mb} MB per file; the ingest formats "
                "(text, HTML, JSON/JSONL, CSV, RSS/Atom, WARC, and .gz of each)."
            )
            uploads = gr.File(
                file_count="multiple",
                file_types=[*allowed_suffixes(), ".gz"],
                label="Files to ingest",
                elem_id="upload",
            )
            ingest = gr.Button("Ingest the files", elem_id="ingest")
            ingested = gr.Markdown(elem_id="ingest-report")

        no_file = gr.update(value=None, visible=False)

        def respond(
            message: str,
            history: list[Message],
            outlets: list[str] | None = None,
            since: str = "",
            until: str = "",
            as_of: str = "",
            turns: list[Turn] | None = None,
        ) -> Iterator[tuple[Any, ...]]:
            if not ready() and message and message.strip():
                waiting = [
                    *(history or []),
                    {"role": "user", "content": message},
                    {"role": "assistant", "content": "_Loading the model…_"},
                ]
                yield "", waiting, sources_html(None), turns, no_file
            wait()
            filters = turn_filters(outlets, since or "", until or "", as_of or "")
            for state in answer_turn_stream(assistant, message, history, filters, turns):
                yield (*state, no_file)

        turn_inputs = [box, chat, outlets, since, until, as_of, turns]
        turn_outputs = [box, chat, sources, turns, exported]
        gr.on([box.submit, send.click], respond, turn_inputs, turn_outputs, api_name="ask")

        def pick_example(evt: gr.SelectData) -> str:
            return str(evt.value.get("text", "")) if isinstance(evt.value, dict) else ""

        # Gradio finds the event parameter by its annotation, which must be the class itself.
        pick_example.__annotations__["evt"] = gr.SelectData

        chat.example_select(pick_example, None, [box], api_visibility="private").then(
            respond, turn_inputs, turn_outputs, api_visibility="private"
        )

        def export_file(turns: list[Turn] | None) -> Any:
            path = export_markdown(turns)
            return gr.update(value=path, visible=path is not None)

        export.click(export_file, [turns], [exported], api_name="export")

        def reset() -> tuple[Any, ...]:
            return [], sources_html(None), [], no_file, ""

        clear.click(reset, None, [chat, sources, turns, exported, box], api_name="clear")
        chat.clear(reset, None, [chat, sources, turns, exported, box], api_visibility="private")

        for field, component in (("since", since), ("until", until), ("as_of", as_of)):

            def flag(value: str, field: str = field) -> Any:
                return check_field(field, value)

            component.blur(flag, component, component, api_visibility="private")
            component.submit(flag, component, component, api_visibility="private")

        def archive(text: str = "") -> tuple[Any, ...]:
            wait()
            head, months = archive_summary(assistant, listing)
            found, table = article_table(listing, text or "")
            return head, months, found, table, outlet_table(listing)

        archive_outputs = [summary, per_month, count, articles, outlets_by_count]

        def load_page(filled: bool) -> tuple[Any, ...]:
            """Fill the page from the archive once it is loaded (the timer polls till then,
            and till the example questions are ready: they are worked out in the background)."""
            keep = gr.update()
            if not ready():
                return (
                    gr.update(visible=True),
                    gr.Timer(active=True),
                    False,
                    keep,
                    keep,
                    *(keep for _ in archive_outputs),
                )
            fill = (
                (gr.update(choices=outlet_choices(assistant)), *archive()) if not filled else None
            )
            examples = examples_for.get()
            return (
                gr.update(visible=False),
                gr.Timer(active=examples is None),
                True,
                gr.update(examples=[{"text": q} for q in examples] or None)
                if examples is not None
                else keep,
                *(fill or (keep for _ in range(1 + len(archive_outputs)))),
            )

        filled = gr.State(False)
        page_outputs = [status, timer, filled, chat, outlets, *archive_outputs]
        demo.load(load_page, [filled], page_outputs, api_name=False)
        timer.tick(load_page, [filled], page_outputs, api_visibility="private")
        refresh.click(archive, [find], archive_outputs, api_name="archive")

        def search_archive(text: str) -> tuple[Any, Any]:
            wait()
            return article_table(listing, text or "")

        find.change(search_archive, [find], [count, articles], api_name="archive_search")

        def add_files(
            paths: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[str, Any]:
            wait()
            report = upload_files(assistant, paths, progress)
            return report, gr.update(choices=outlet_choices(assistant))

        ingest.click(add_files, [uploads], [ingested, outlets], api_name="ingest").then(
            archive, [find], archive_outputs, api_name=False
        )
    return demo


if __name__ == "__main__":  # `python app.py [OPTIONS]` is `newsdesk serve [OPTIONS]`
    from qa.cli import main

    main(["serve", *sys.argv[1:]])
