"""Near-duplicate detection for wire copies: MinHash signatures of article text and an LSH index."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

NUM_PERM = 128
SEED = 7
SHINGLE = 3
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """The hash permutations of (NUM_PERM, SEED): made once, not for every signature (making
    them cost more than the hashing)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations


def signature(text: str) -> np.ndarray:
    """The MinHash signature (uint32[NUM_PERM]) of `text`'s lower-cased word 3-shingles."""
    from datasketch import MinHash

    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme="affine32")
    mh.update_batch([s.encode("utf-8") for s in shingles])
    return np.asarray(mh.hashvalues, dtype=np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.mean(a == b))


class NearDuplicates:
    """An in-memory LSH over article signatures; finds the stored article a text copies."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh: Any = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._sigs: dict[str, np.ndarray] = {}

    def _minhash(self, sig: np.ndarray) -> Any:
        # The LSH reads only the hash values: a lean MinHash carries them without the
        # permutations (which a full one regenerates, ~0.3 ms each: minutes at a million).
        from datasketch import LeanMinHash

        return LeanMinHash(seed=SEED, hashvalues=sig, scheme="affine32")

    def add(self, key: str, sig: np.ndarray) -> None:
        if key in self._sigs:
            self.remove(key)
        self._lsh.insert(key, self._minhash(sig))
        self._sigs[key] = sig

    def remove(self, key: str) -> None:
        if key in self._sigs:
            self._lsh.remove(key)
            del self._sigs[key]

    def find(self, sig: np.ndarray, exclude: str | None = None) -> str | None:
        """The most similar stored key at or above the threshold, if any."""
        best, best_sim = None, self.threshold
        for key in self._lsh.query(self._minhash(sig)):
            if key == exclude:
                continue
            sim = similarity(sig, self._sigs[key])
            if sim >= best_sim:
                best, best_sim = key, sim
        return best
