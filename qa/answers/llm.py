"""The LLM answerer: any llama-index LLM writes the answer (Ollama, an OpenAI-compatible server
and llama.cpp through their llama-index integrations, built in qa.backends); newsdesk checks
every sentence against the passages it cites before showing it.

The flow of :class:`LLMAnswerer`:

1. The evidence checks of qa.answers.evidence decide first whether the archive can answer at
   all (the same refusal rules as the extractive answerer; no LLM call is spent on a refusal).
2. The passages go into the prompt as numbered, quoted data; the system prompt (package data,
   ``qa/answers/prompts``) tells the model they are untrusted text, never instructions.
3. Tokens stream to the caller as they arrive (the LLM's ``stream_chat``).
4. The finished text is checked (:class:`AnswerChecker`): citation numbers that match no passage
   are removed; each sentence must be supported by a passage it cites (its content words
   found there, or a close embedding match), otherwise it is dropped; a sentence without a
   citation gets the passage that supports it, or is dropped. Passage sentences that read as
   instructions to a model ("ignore previous instructions", "SYSTEM:") never count as support,
   so an answer that obeys an injected instruction is caught.
5. If the model fails, times out, or nothing it wrote survives the checks, the extractive
   answer is returned instead, with a note saying so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.answers.citations import cited_numbers, defuse_markers, marker, strip_markers
from qa.answers.evidence import refusal
from qa.answers.extractive import Answerer, ExtractiveAnswerer, cite
from qa.answers.reading import Reading
from qa.embedding import Embedder
from qa.errors import NewsdeskError
from qa.index.sentences import SentenceVectors
from qa.text import content_terms, sentence_spans
from qa.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

Message = dict[str, str]
INSUFFICIENT = "INSUFFICIENT"
# A sentence is supported by a passage when this share of its content words occur there ...
MIN_OVERLAP = 0.6
# ... or when its embedding is this close to one of the passage's sentences.
MIN_COSINE = 0.75
_VERDICTS = {"yes", "no", "true", "false", "correct", "incorrect"}
_INJECTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|your|these)\s+"
    r"(?:instructions?|prompts?|rules?|directions?)|disregard\s+(?:all\s+|any\s+)?(?:the\s+)?"
    r"(?:previous|prior|above|your)|(?:^|\n|\s)(?:system|assistant|developer)\s*:|"
    r"you\s+are\s+now\b|new\s+instructions?\b|as\s+an\s+ai\b|language\s+model",
    re.I,
)


class LLMError(NewsdeskError):
    """The language model could not be reached, failed, or timed out."""


def load_prompt(name: str) -> str:
    """A prompt template shipped as package data in qa/answers/prompts."""
    return resources.files("qa.answers").joinpath("prompts", name).read_text(encoding="utf-8")


def stream_chat(llm: LLM, messages: list[Message], timeout: float | None = None) -> Iterator[str]:
    """The reply of `llm` (any llama-index LLM) to `messages`, piece by piece as it is written.

    Raises LLMError when the model fails, cannot be reached, or writes for longer than
    `timeout` seconds (checked between pieces; the integration's own timeout covers a server
    that sends nothing).
    """
    from llama_index.core.llms import ChatMessage

    chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
    deadline = time.monotonic() + timeout if timeout else None
    written = ""
    try:
        for response in llm.stream_chat(chat):
            if deadline is not None and time.monotonic() > deadline:
                raise LLMError(f"The LLM took longer than {timeout:g} s")
            # Integrations give the new piece as `delta`; some only the text so far.
            piece = response.delta
            if piece is None:
                text = response.message.content or ""
                piece = text[len(written) :] if text.startswith(written) else ""
            written += piece
            if piece:
                yield piece
    except LLMError:
        raise
    except Exception as exc:  # each integration raises its own types (HTTP, client, model)
        raise _failure(exc, llm, timeout) from exc


def _failure(exc: Exception, llm: LLM, timeout: float | None) -> LLMError:
    """`exc`, raised by an LLM integration, as an LLMError saying what happened."""
    where = describe(llm)
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return LLMError(f"The LLM took longer than {timeout or 0:g} s ({where})")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return LLMError(
            f"The LLM server ({where}) answered HTTP {status}: {str(exc)[:200]}",
            "check NEWSDESK_LLM_BASE_URL, NEWSDESK_LLM_MODEL and the key",
        )
    if "connect" in type(exc).__name__.lower() or isinstance(exc, ConnectionError):
        return LLMError(
            f"Could not reach the LLM ({where}): {exc}",
            "start it, or set NEWSDESK_ANSWERER=extractive",
        )
    return LLMError(f"The LLM failed ({where}): {type(exc).__name__}: {str(exc)[:200]}")


def describe(llm: LLM) -> str:
    """'OpenAILike model=qwen at http://127.0.0.1:8080/v1': the LLM's kind, model and server
    (never its key)."""
    parts = [type(llm).__name__]
    for label, attr in (("model=", "model"), ("at ", "api_base"), ("at ", "base_url")):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            parts.append(f"{label}{value}")
    path = getattr(llm, "model_path", None)
    if path:
        parts.append(f"file {Path(str(path)).name}")
    return " ".join(parts)


def passages_block(passages: Sequence[Passage]) -> str:
    """The passages as numbered, quoted data for the prompt.

    Text that could pass for prompt structure is neutralised: square-bracket numbers become
    parentheses (no fake citation markers) and the quote delimiters cannot be closed early.
    """
    blocks = []
    for n, p in enumerate(passages, start=1):
        meta = " | ".join(
            x for x in (p.title, p.source, (p.published_at or "")[:10], p.author) if x
        )
        text = defuse_markers(p.text).replace('"""', "''")
        blocks.append(f'[{n}] {meta}\n"""\n{text}\n"""')
    return "\n\n".join(blocks)


def answer_messages(question: str, passages: Sequence[Passage]) -> list[Message]:
    """The chat messages asking the model to answer `question` from `passages`."""
    user = load_prompt("answer_user.txt").format(
        passages=passages_block(passages), question=question
    )
    return [
        {"role": "system", "content": load_prompt("answer_system.txt").strip()},
        {"role": "user", "content": user},
    ]


@dataclass(frozen=True)
class _Evidence:
    sentences: list[tuple[int, int, str, frozenset[str]]]  # (start, end, text, content words)
    terms: frozenset[str]  # the content words of all of them


@dataclass(frozen=True)
class _Support:
    passage: int  # index into passages
    start: int  # the supporting sentence within the passage text
    end: int
    score: float


class AnswerChecker:
    """Checks an LLM answer against its passages (see the module docstring, step 4)."""

    def __init__(self, embedder: Embedder, sentences: SentenceVectors | None = None) -> None:
        self._embedder = embedder
        self._sentences = sentences or SentenceVectors(embedder)

    def check(
        self, question: str, raw: str, passages: Sequence[Passage]
    ) -> tuple[Answer | None, list[str]]:
        """The checked Answer (None when nothing usable is left) and notes on what was removed."""
        notes: list[str] = []
        text = raw.strip()
        if not text:
            return None, ["The language model returned nothing."]
        if text.strip(" .").upper() == INSUFFICIENT:
            reason = "The language model found no answer in the retrieved passages."
            return refusal(question, passages, reason), notes
        sentences = [text[s:e] for s, e in sentence_spans(text)]
        evidence = self._evidence(passages)
        kept: list[tuple[str, list[_Support]]] = []
        for sentence in sentences:
            numbers = cited_numbers(sentence)
            claim = strip_markers(sentence)
            if not claim or claim.strip(" .").upper() == INSUFFICIENT:
                continue
            valid = [n for n in numbers if 1 <= n <= len(passages)]
            for n in sorted(set(numbers) - set(valid)):
                notes.append(f"Removed citation {marker(n)}: no passage has that number.")
            if set(content_terms(claim)) <= _VERDICTS:
                kept.append((claim, []))  # 'Yes.' / 'No.': stands on the sentences after it
                continue
            cited = [n - 1 for n in dict.fromkeys(valid)]
            support = self._support(claim, cited, evidence, passages)
            if not support:
                # Only a sentence that cites nothing is given the passage that supports it.
                every = list(range(len(passages)))
                found = [] if valid else self._support(claim, every, evidence, passages)
                if found:
                    support = found[:1]
                    notes.append(f"Added citation to an uncited sentence: {claim[:60]!r}.")
                else:
                    notes.append(f"Dropped a sentence no cited passage supports: {claim[:80]!r}.")
                    continue
            kept.append((claim, support))
        if not any(support for _, support in kept):
            return None, [*notes, "No sentence of the language model's answer was supported."]
        return _assemble(question, kept, passages, notes), notes

    def _evidence(self, passages: Sequence[Passage]) -> list[_Evidence]:
        """Per passage, its sentences that may support a claim (injected instructions left
        out), each with its content words, tokenised once per answer."""
        out = []
        for p in passages:
            spans = [(s, e, p.text[s:e]) for s, e in sentence_spans(p.text)]
            kept = [
                (s, e, text, frozenset(content_terms(text)))
                for s, e, text in spans
                if not _INJECTION.search(text)
            ]
            out.append(_Evidence(kept, frozenset().union(*(x[3] for x in kept))))
        return out

    def _support(
        self,
        claim: str,
        indices: list[int],
        evidence: list[_Evidence],
        passages: Sequence[Passage],
    ) -> list[_Support]:
        """The passages among `indices` that support `claim`, best first."""
        terms = set(content_terms(claim))
        found: list[_Support] = []
        pending: list[tuple[int, int, int, str]] = []
        for i in indices:
            sentences = evidence[i].sentences
            # Words of the claim found anywhere in the passage (never less than in any one of
            # its sentences); the citation quotes the sentence holding the most of them.
            overlap = len(terms & evidence[i].terms) / len(terms) if terms else 0.0
            if sentences and overlap >= MIN_OVERLAP:
                s, e, _, _ = max(sentences, key=lambda x: len(terms & x[3]))
                found.append(_Support(i, s, e, overlap))
            else:
                pending += [(i, s, e, text) for s, e, text, _ in sentences]
        if pending:
            said = self._embedder.embed([claim])[0]
            found_vectors = self._sentences.vectors([(passages[i], s, e) for i, s, e, _ in pending])
            cosines = found_vectors @ said
            best_per: dict[int, _Support] = {}
            for (i, s, e, _), cos in zip(pending, cosines, strict=True):
                if float(cos) >= MIN_COSINE and (
                    i not in best_per or float(cos) > best_per[i].score
                ):
                    best_per[i] = _Support(i, s, e, float(np.round(cos, 4)))
            found += best_per.values()
        return sorted(found, key=lambda x: -x.score)


def _assemble(
    question: str,
    kept: list[tuple[str, list[_Support]]],
    passages: Sequence[Passage],
    notes: list[str],
) -> Answer:
    """The checked sentences with citations renumbered in order of first use."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for claim, support in kept:
        marks = []
        for sup in support:
            n = cite(numbers, citations, passages, sup.passage, sup.start, sup.end)
            marks.append(marker(n))
        parts.append(f"{claim.rstrip()} {''.join(marks)}".rstrip())
    return Answer(
        question, " ".join(parts), citations, refused=False, passages=list(passages), notes=notes
    )


class LLMAnswerer(Answerer):
    """Answers with a language model (any llama-index LLM), checked against the passages;
    extractive as the fallback.

    Refusals come from the same reading of the evidence as the extractive answerer's (no LLM
    call is spent on a refusal). `timeout` bounds how long the model may write (seconds).
    """

    def __init__(
        self,
        llm: LLM,
        extractive: ExtractiveAnswerer,
        embedder: Embedder,
        sentences: SentenceVectors | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(extractive.reader)
        self.llm = llm
        self._extractive = extractive
        self._checker = AnswerChecker(embedder, sentences)
        # As many passages as the extractive answerer reads (setting answer_passages).
        self._read = extractive.reader.read_passages
        self._timeout = timeout

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, passages):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def compose(self, reading: Reading) -> Answer:
        """The extractive answer (what the model's answer falls back to)."""
        return self._extractive.compose(reading)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Yield the model's text as it arrives (unchecked), then the checked Answer."""
        reading = self.reader.read(question, passages)
        if reading.refusal is not None:
            yield reading.refusal
            return
        shown = list(passages[: self._read])
        pieces: list[str] = []
        try:
            for piece in stream_chat(self.llm, answer_messages(question, shown), self._timeout):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            yield self._fallback(reading, f"The language model failed ({exc.message})")
            return
        answer, notes = self._checker.check(question, "".join(pieces), shown)
        if answer is None:
            yield self._fallback(reading, notes[-1].rstrip("."))
            return
        yield replace(answer, passages=list(passages))

    def rewrite(self, messages: list[Message]) -> str | None:
        """The last user message as a standalone question, written by the model; None when the
        model fails or replies with something that is not one short question."""
        convo = "\n".join(f"{m['role']}: {m['content'][:1000]}" for m in messages[-8:])
        prompt = [
            {"role": "system", "content": load_prompt("rewrite_system.txt").strip()},
            {"role": "user", "content": convo},
        ]
        try:
            text = "".join(stream_chat(self.llm, prompt, self._timeout)).strip().strip('"')
        except LLMError:
            return None
        if not text or "\n" in text or len(text) > 400:
            return None
        return text

    def _fallback(self, reading: Reading, why: str) -> Answer:
        answer = self.compose(reading)
        note = f"{why}; this answer quotes the archive instead (extractive)."
        return replace(answer, notes=[*answer.notes, note])
