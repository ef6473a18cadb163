"""A linear model over word and character tf-idf plus the MiniLM sentence embedding.

Shared by the intent classifier (bot/model/intent_classifier.py, inside Rasa) and the crisis
detector (bot/crisis_model.py, outside it): the same features, the same fast scoring, the same
storage as JSON and NumPy arrays rather than a pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


def vectorizers(config: dict[str, Any]) -> dict[str, TfidfVectorizer]:
    # Sublinear tf: a word said twice is not twice the evidence in a one-line message.
    return {
        "word": TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, config["word_max_ngram"]),
            sublinear_tf=True,
            lowercase=True,
        ),
        # Word pieces carry typos, "bf"/"gf" and inflections that the word vocabulary misses.
        "char": TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(config["char_min_ngram"], config["char_max_ngram"]),
            sublinear_tf=True,
            lowercase=True,
        ),
    }


def features(
    vecs: dict[str, TfidfVectorizer], texts: list[str], embeddings: np.ndarray, weight: float
) -> sp.csr_matrix:
    """The training-time feature matrix: each tf-idf block, then the weighted embedding."""
    blocks = [vec.transform(texts) for vec in vecs.values()]
    blocks.append(sp.csr_matrix(embeddings * weight))
    return sp.hstack(blocks).tocsr()


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def dump_vectorizers(vecs: dict[str, TfidfVectorizer]) -> tuple[dict, dict[str, np.ndarray]]:
    """(terms by vectorizer, for JSON; idf arrays, for NumPy)."""
    terms = {name: sorted(v.vocabulary_, key=v.vocabulary_.get) for name, v in vecs.items()}
    arrays = {f"idf_{name}": v.idf_.astype(np.float64) for name, v in vecs.items()}
    return terms, arrays


def load_vectorizers(
    config: dict[str, Any], terms: dict[str, list[str]], arrays: Any
) -> dict[str, TfidfVectorizer]:
    vecs = vectorizers(config)
    for name, vec in vecs.items():
        vec.vocabulary_ = {term: i for i, term in enumerate(terms[name])}
        vec.idf_ = arrays[f"idf_{name}"]
    return vecs


class Scorer:
    """The linear scores of one text without scikit-learn's per-call machinery.

    `TfidfVectorizer.transform`, a sparse `hstack` and a product with the whole transposed weight
    matrix took about 3 ms a message, on the event loop. The same arithmetic on the few n-grams a
    message has takes a tenth of that: the vectorizers' own analyzers find the n-grams, and only
    the weight rows of those n-grams are read. `tests/test_intent_classifier.py` checks it
    against the scikit-learn path.
    """

    def __init__(self, vecs: dict[str, TfidfVectorizer], coef: np.ndarray, weight: float):
        rows = np.ascontiguousarray(coef.T, dtype=np.float32)  # one row of class weights a feature
        self.blocks = []
        offset = 0
        for vec in vecs.values():
            size = len(vec.vocabulary_)
            self.blocks.append(
                (vec.build_analyzer(), vec.vocabulary_, vec.idf_, rows[offset : offset + size])
            )
            offset += size
        self.embedding_rows = rows[offset:] * weight

    def scores(self, text: str, embedding: np.ndarray) -> np.ndarray:
        total = embedding @ self.embedding_rows
        for analyze, vocabulary, idf, rows in self.blocks:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * idf[index]  # sublinear tf, as the vectorizers
            values /= np.linalg.norm(values)
            total = total + values.astype(np.float32) @ rows[index]
        return total
