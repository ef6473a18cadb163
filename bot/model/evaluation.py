"""Model evaluation: test stories (in `make test`) and the quality summary for `make eval`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.settings import MODEL_PATH, ROOT

STORIES = ROOT / "tests" / "test_stories.yml"
HELD_OUT = ROOT / "tests" / "nlu_test.yml"
REPORTS = ROOT / "reports"
QUALITY = ROOT / "docs" / "quality.md"


def nlu_examples(*paths: Path) -> list[tuple[str, str]]:
    """(intent, text) for every example in Rasa NLU files, as written (typos, emoji and all);
    with no paths, the training data in nlu/."""
    import yaml

    examples = []
    for path in paths or sorted((ROOT / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((block.get("intent", ""), line[2:].strip()))
    return examples


async def test_stories(stories: Path = STORIES, out: Path = REPORTS / "stories") -> int:
    """Runs Rasa's end-to-end story test; any wrong intent or action fails it."""
    from rasa.core.test import WrongPredictionException
    from rasa.model_testing import test_core

    try:
        await test_core(
            model=str(MODEL_PATH),
            stories=str(stories),
            output=str(out),
            additional_arguments={"fail_on_prediction_errors": True},
            use_conversation_test_files=True,
        )
    except WrongPredictionException as error:
        print(f"Test stories FAILED:\n{error}")
        return 1
    # Rasa silently evaluates nothing when it does not recognise a file as test stories.
    result = json.loads((out / "story_report.json").read_text())["conversation_accuracy"]
    if result["total"] == 0 or result["correct"] != result["total"]:
        print(f"Test stories FAILED: {result}")
        return 1
    print(f"Test stories passed: {result['correct']} of {result['total']} ({stories.name}).")
    return 0


def macro_f1(report: dict) -> tuple[float, dict[str, float]]:
    per_intent = {
        name: values["f1-score"]
        for name, values in report.items()
        if isinstance(values, dict)
        and "support" in values
        and values["support"] > 0
        and name not in ("micro avg", "macro avg", "weighted avg")
    }
    return sum(per_intent.values()) / len(per_intent), per_intent


def write_quality(cv_report: Path, heldout: dict[str, float] | None = None) -> str:
    cv_macro, cv = macro_f1(json.loads(cv_report.read_text()))
    lines = [
        "# NLU quality",
        "",
        f"Measured {dt.date.today().isoformat()} by `make eval` (5-fold cross-validation of "
        "`nlu/`) and by `tests/test_nlu_heldout.py` (the independent `tests/nlu_test.yml`).",
        "",
        f"Cross-validation macro F1: **{cv_macro:.3f}**",
        "",
        "| intent | F1 (5-fold CV) |",
        "|---|---|",
        *[f"| {name} | {f1:.2f} |" for name, f1 in sorted(cv.items(), key=lambda kv: kv[1])],
    ]
    return replace_section("## Cross-validation\n\n" + "\n".join(lines[2:]) + "\n")


def replace_section(section: str) -> str:
    """Writes `section` over the one of the same heading in docs/quality.md (or at the end);
    the other figures there stay."""
    heading = section.split("\n", 1)[0]
    old = QUALITY.read_text() if QUALITY.is_file() else "# NLU quality\n"
    start = old.find(heading + "\n")
    end = old.find("\n## ", start + 1) if start >= 0 else -1
    if start < 0:
        updated = old.rstrip() + "\n\n" + section
    else:
        updated = old[:start] + section + ("\n" + old[end + 1 :] if end >= 0 else "")
    QUALITY.parent.mkdir(exist_ok=True)
    QUALITY.write_text(updated)
    return section


def cross_validate(folds: int = 5) -> int:
    import subprocess
    import sys

    import yaml

    out = REPORTS / "nlu-cv"
    # Cross-validation scores the top intent of each message, never the threads of its sentences
    # (intent_classifier.threads); reading those for 5 x 5,000 messages would take half an hour.
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"].endswith("LinearIntentClassifier"):
            component["threads"] = False
    out.mkdir(parents=True, exist_ok=True)
    scored = out / "config.yml"
    scored.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    # Rasa's own CLI: its cross-validation entry point wires the importer and plots for us.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "test",
            "nlu",
            "--nlu",
            "nlu",
            "--config",
            str(scored),
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
        ],
        cwd=ROOT,
    )
    if result.returncode != 0:
        return result.returncode
    print(write_quality(out / "intent_report.json"))
    from bot.model.real_questions import evaluate

    real = evaluate()
    if real is None:
        print("(the development set of real questions is not on this machine: skipped)")
    else:
        print(replace_section(real))
    return 0
