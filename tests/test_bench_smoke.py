"""The benchmark harness works: a tiny load against the in-process bot yields real latencies.

The benchmarks themselves (`make bench`) take minutes and are not part of `make test`.
"""

from __future__ import annotations

from bench.load import LoadGenerator, held_out_messages, percentile
from bench.report import table, targets


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0


async def test_load_generator_measures_reply_latency(start_bot, fake_tg):
    await start_bot()
    generator = LoadGenerator(fake_tg, held_out_messages(), users=6)
    try:
        await generator.warm_up(2, concurrency=2)
        measured = await generator.open_loop(4.0, 2.0)
    finally:
        generator.close()
    assert measured.samples, "no message was offered"
    assert all(s.latency is not None and s.latency > 0 for s in measured.samples)
    window = measured.summary()
    assert window["unanswered"] == 0
    assert 0 < window["p50_ms"] <= window["p99_ms"] < 15_000
    results = {
        "load": {
            "concurrency": 2,
            "ours": {"windows": {window["name"]: window}, "sustained_rate": None},
        }
    }
    assert window["name"] in table(results)
    assert targets(results)  # judged or marked not measured, never an error
