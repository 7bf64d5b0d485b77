"""The searchable snapshot of the keyword index: BM25 weights of passages and of their
sentences, the passage vectors and the filter columns, built from the index's rows in a few
passes of little more memory than the finished matrices."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csc_matrix

K1 = 1.2
B = 0.75

# A row of the keyword index as the snapshot reads it: passage_id, article_id, source, author,
# published_ts, length, tf, stf, vector (qa.index.keyword.KeywordIndex.snapshot's SELECT).
Row = tuple[Any, ...]


class _Postings:
    """(term, tf) postings of a stream of rows (passages or sentences) laid out as a CSC matrix
    of BM25 weights, with little more memory than the finished matrix.

    Rows arrive a chunk at a time; their postings go to a temporary file beside the index while
    document frequencies and row lengths are counted. The matrix is then allocated once, at its
    final size, and filled chunk by chunk from the file: no triples in memory, no format
    conversions (each would hold another copy of the matrix).
    """

    def __init__(self, n_terms: int, spill: IO[bytes]) -> None:
        self.n_terms = max(n_terms, 1)
        self.df = np.zeros(self.n_terms, dtype=np.int64)
        self.lengths: list[np.ndarray] = []  # float32 per row, per chunk
        self.chunks: list[tuple[int, int]] = []  # (rows, postings) per chunk
        self._spill = spill

    def add(self, counts: np.ndarray, terms: np.ndarray, tf: np.ndarray) -> None:
        """A chunk of rows: postings per row, then every posting's term and tf in row order."""
        keep = terms < self.n_terms  # a term created after the terms were read: not searchable
        if not keep.all():
            owner = np.repeat(np.arange(len(counts)), counts)
            counts = np.bincount(owner[keep], minlength=len(counts))
            terms, tf = terms[keep], tf[keep]
        owner = np.repeat(np.arange(len(counts)), counts)
        lengths = np.bincount(owner, weights=tf, minlength=len(counts)).astype(np.float32)
        self.lengths.append(lengths)
        self.df += np.bincount(terms, minlength=self.n_terms)
        self._spill.write(np.asarray(counts, dtype=np.int32).tobytes())
        self._spill.write(np.asarray(terms, dtype=np.uint32).tobytes())
        self._spill.write(np.minimum(tf, 65535).astype(np.uint16).tobytes())
        self.chunks.append((len(counts), len(terms)))

    def matrix(self) -> csc_matrix:
        """The BM25 weights (rows x terms) of every row added, as a CSC matrix."""
        from scipy import sparse

        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, np.float32)
        self.lengths.clear()
        n, nnz = len(lengths), int(self.df.sum())
        index = np.int32 if max(n, nnz) < 2**31 else np.int64
        indptr = np.zeros(self.n_terms + 1, dtype=index)
        np.cumsum(self.df, out=indptr[1:])
        rows = np.empty(nnz, dtype=index)
        data = np.empty(nnz, dtype=np.float32)
        idf = np.log1p((n - self.df + 0.5) / (self.df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if n else 1.0
        norm = (K1 * (1 - B + B * lengths / (avgdl or 1.0))).astype(np.float32)
        cursor = indptr[:-1].astype(np.int64)
        self._spill.seek(0)
        first = 0
        for n_rows, n_post in self.chunks:
            counts = np.frombuffer(self._spill.read(4 * n_rows), dtype=np.int32)
            terms = np.frombuffer(self._spill.read(4 * n_post), dtype=np.uint32)
            tf = np.frombuffer(self._spill.read(2 * n_post), dtype=np.uint16).astype(np.float32)
            owner = np.repeat(np.arange(first, first + n_rows, dtype=index), counts)
            # Postings of a term go to its column in row order: a stable sort by term, then
            # each posting's rank among its term's postings in this chunk.
            order = np.argsort(terms, kind="stable")
            terms, owner, tf = terms[order], owner[order], tf[order]
            uniq, at, cnt = np.unique(terms, return_index=True, return_counts=True)
            where = cursor[terms] + np.arange(len(terms)) - np.repeat(at, cnt)
            cursor[uniq] += cnt
            rows[where] = owner
            data[where] = idf[terms] * tf * (K1 + 1) / (tf + norm[owner])
            first += n_rows
        self.chunks.clear()
        return sparse.csc_matrix((data, rows, indptr), shape=(n, self.n_terms), copy=False)


class Snapshot:
    """The searchable snapshot: BM25 weights (passages x terms), BM25 weights of their sentences
    (sentences x terms), the passage vectors and per-passage filter columns, all by snapshot row.

    Built from a stream of rows, a few thousand at a time (see `_Postings`), so that building
    it needs little more memory than the finished matrices. Strings repeated from row to row
    (outlets, authors, the article of consecutive passages) are kept once. Read-only once built;
    KeywordIndex.snapshot builds a new one when the index has changed.
    """

    passage_ids: list[str]  # per row
    article_ids: np.ndarray  # per row, object (str)
    published_ts: np.ndarray  # per row, int64 epoch seconds; -1 when undated
    sources: np.ndarray  # per row, object (str): the outlet, "" for none
    authors: np.ndarray  # per row, object (str): the author, "" for none
    source_codes: np.ndarray  # per row, int32: the outlet as a small code
    author_codes: np.ndarray  # per row, int32: the author as a small code
    vectors: np.ndarray  # rows x dim float32 passage vectors (zeros where none was stored)
    weights: csc_matrix  # rows x terms BM25 weights of each passage (title, outlet, text)
    sent_weights: csc_matrix  # sentences x terms BM25 weights of each passage's sentences
    sent_start: np.ndarray  # per row, int64: the row's first sentence in `sent_weights`

    CHUNK = 4096

    def __init__(self, rows: Iterable[Row], n_rows: int, n_terms: int, spill_dir: Path) -> None:
        """The snapshot of at most `n_rows` rows over `n_terms` terms (terms with higher ids
        are left out), spilling postings to temporary files in `spill_dir`."""
        import tempfile

        self.passage_ids = []
        article_ids: list[str] = []
        self.published_ts = np.full(n_rows, -1, dtype=np.int64)
        self.sent_start = np.zeros(n_rows, dtype=np.int64)
        # Outlets and authors as small integer codes: masks over a million passages are integer
        # comparisons, not string ones, and each name is kept once.
        self._source_code: dict[str, int] = {}
        self._author_code: dict[str, int] = {}
        source_codes = np.zeros(n_rows, dtype=np.int32)
        author_codes = np.zeros(n_rows, dtype=np.int32)
        self.vectors = np.zeros((n_rows, 0), dtype=np.float32)
        n_sent = 0
        with (
            tempfile.TemporaryFile(dir=spill_dir) as doc_spill,
            tempfile.TemporaryFile(dir=spill_dir) as sent_spill,
        ):
            docs = _Postings(n_terms, doc_spill)
            sents = _Postings(n_terms, sent_spill)
            pairs: list[np.ndarray] = []
            triples: list[np.ndarray] = []

            def flush() -> None:
                if not pairs:
                    return
                p = np.concatenate(pairs)
                docs.add(np.array([len(x) for x in pairs]), p[:, 0], p[:, 1])
                t = np.concatenate(triples)
                # Sentences numbered across the chunk: each passage's from its own start.
                starts = np.cumsum([0] + [_n_sentences(x) for x in triples[:-1]])
                sent = t[:, 0].astype(np.int64) + np.repeat(starts, [len(x) for x in triples])
                total = int(starts[-1]) + _n_sentences(triples[-1])
                sents.add(np.bincount(sent, minlength=total), t[:, 1], t[:, 2])
                pairs.clear()
                triples.clear()

            i = -1
            for i, row in enumerate(rows):
                if len(pairs) == self.CHUNK:
                    flush()
                self.passage_ids.append(row[0])
                same = article_ids and article_ids[-1] == row[1]
                article_ids.append(article_ids[-1] if same else row[1])
                source_codes[i] = self._source_code.setdefault(row[2] or "", len(self._source_code))
                author_codes[i] = self._author_code.setdefault(row[3] or "", len(self._author_code))
                if row[4] is not None:
                    self.published_ts[i] = row[4]
                pairs.append(np.frombuffer(row[6], dtype=np.uint32).reshape(-1, 2))
                tri = np.frombuffer(row[7], dtype=np.uint32).reshape(-1, 3)
                triples.append(tri)
                self.sent_start[i] = n_sent
                n_sent += _n_sentences(tri)
                blob = row[8]
                if blob:
                    if self.vectors.shape[1] == 0:
                        self.vectors = np.zeros((n_rows, len(blob) // 4), dtype=np.float32)
                    if len(blob) == self.vectors.shape[1] * 4:
                        self.vectors[i] = np.frombuffer(blob, dtype=np.float32)
            flush()
            n = i + 1
            if n != n_rows:  # rows deleted between counting and reading: trim to what was read
                self.published_ts = self.published_ts[:n]
                self.sent_start = self.sent_start[:n]
                self.vectors = self.vectors[:n]
            self.article_ids = np.array(article_ids, dtype=object)
            del article_ids
            self.source_codes = source_codes[:n]
            self.author_codes = author_codes[:n]
            self.sources = _names(self._source_code)[self.source_codes]
            self.authors = _names(self._author_code)[self.author_codes]
            self.weights = docs.matrix()
            self.sent_weights = sents.matrix()

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def outlets(self) -> set[str]:
        """The distinct outlets of the passages ("" for none left out)."""
        return set(self._source_code) - {""}

    def source_mask(self, names: Iterable[str]) -> np.ndarray:
        """Which passages come from one of these outlets."""
        return _code_mask(self.source_codes, self._source_code, names)

    def author_mask(self, names: Iterable[str]) -> np.ndarray:
        """Which passages are by one of these authors."""
        return _code_mask(self.author_codes, self._author_code, names)


def _names(code_of: dict[str, int]) -> np.ndarray:
    """The names of a code dictionary as an object array indexed by code."""
    names = np.empty(len(code_of), dtype=object)
    names[:] = list(code_of)  # codes were handed out in insertion order
    return names


def _code_mask(codes: np.ndarray, code_of: dict[str, int], names: Iterable[str]) -> np.ndarray:
    wanted = [code_of[n] for n in names if n in code_of]
    return np.isin(codes, wanted) if wanted else np.zeros(len(codes), dtype=bool)


def _n_sentences(triples: np.ndarray) -> int:
    """Sentences a passage's (sentence, term, tf) triples number (at least one place)."""
    return int(triples[:, 0].max()) + 1 if len(triples) else 1


def release_freed_memory() -> None:
    """Hand the build's freed temporaries back to the OS (glibc keeps them otherwise: about
    half the snapshot's footprint). No-op off glibc."""
    import ctypes

    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
