"""Writes bot/data/common_words.txt: the words of ordinary messages to the bot.

The safety screen runs only a few of its patterns on a message unless it contains a word that
crisis phrases need and ordinary messages rarely use (`bot/safety.py`, `_Rules`). Which words
are ordinary is read off the non-crisis training examples in `nlu/`: every lemma and lowercase
form found in more than 0.5% of them. The list only decides how fast the screen is, never what it
finds, so it need not follow every change to `nlu/`. Run: python -m bench.common_words
"""

from __future__ import annotations

from collections import Counter

from bot import safety
from bot.model.evaluation import nlu_examples

SHARE = 0.005


def ordinary_examples() -> list[str]:
    return [text for intent, text in nlu_examples() if intent not in safety.CATEGORIES]


def common_words(examples: list[str], share: float = SHARE) -> list[str]:
    seen: Counter[str] = Counter()
    for text in examples:
        doc = safety._lemmatised(safety.normalise(text))
        seen.update({t.lemma_ for t in doc} | {t.lower_ for t in doc})
    return sorted(w for w, n in seen.items() if n > share * len(examples))


def main() -> None:
    examples = ordinary_examples()
    words = common_words(examples)
    header = (
        f"# Words in more than {SHARE:.1%} of the {len(examples)} non-crisis training examples"
        " in nlu/.\n# Written by `python -m bench.common_words`; see bot/safety.py.\n"
    )
    safety.COMMON_WORDS_FILE.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {safety.COMMON_WORDS_FILE}")


if __name__ == "__main__":
    main()
