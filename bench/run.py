"""`python -m bot bench`: every measurement in one run, printed as one table.

Our bot and the `rasa run` baseline run side by side, each against its own fake Bot API, and
the load windows alternate between them (ours at 5/s, theirs at 5/s, ours at 20/s, ...), so
the other work on a shared machine weighs on both alike and their ratios stay comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import nlu_speed, nudges, report, training
from bench.baseline import Baseline
from bench.fake_telegram import FakeTelegram
from bench.load import LoadGenerator, held_out_messages
from bench.startup import TOKEN, first_reply, start_bot
from bot.settings import ROOT

P99_LIMIT_MS = 500.0


@dataclass(frozen=True)
class Plan:
    users: int = 300
    rates: tuple[float, ...] = (5, 20, 40)
    deployed_rates: tuple[float, ...] = (5, 20)  # with the limiter on, 40/s only queues at it
    window: float = 15.0
    probe_window: float = 12.0
    probes: int = 2
    concurrency: int = 64
    nudge_users: int = 10_000
    nudge_window: float = 20.0
    nlu_turns: int = 200


QUICK = Plan(
    users=24,
    rates=(5,),
    deployed_rates=(5,),
    window=3.0,
    probe_window=3.0,
    probes=0,
    concurrency=8,
    nudge_users=300,
    nudge_window=3.0,
    nlu_turns=20,
)

# The three systems: our bot as deployed, our bot without the rate limiter (its own capacity),
# and the same model behind `rasa run` and a bridge.
OURS, UNLIMITED, THEIRS = "ours", "ours_unlimited", "theirs"


def sustains(summary: dict) -> bool:
    """Kept up: every offer made and answered, p99 under the limit (a growing queue would
    push the last messages' latency, hence p99, past it)."""
    return (
        summary["p99_ms"] is not None
        and summary["p99_ms"] < P99_LIMIT_MS
        and summary["unanswered"] == 0
        and summary["skipped_offers"] == 0
    )


class System:
    def __init__(
        self, name: str, generator: LoadGenerator, rates: tuple[float, ...], capacity: bool
    ) -> None:
        self.name = name
        self.generator = generator
        self.rates = rates
        self.capacity = capacity  # measured flat out and probed for its sustained rate
        self.windows: dict[str, dict] = {}
        self.flat_out: dict | None = None
        self.warm_up: dict | None = None

    def passed(self) -> list[float]:
        return [w["offered_rate"] for w in self.windows.values() if sustains(w)]

    def figures(self) -> dict:
        passed = self.passed()
        return {
            "warm_up": self.warm_up,
            "windows": self.windows,
            "flat_out": self.flat_out,
            "sustained_rate": max(passed) if passed and self.capacity else None,
        }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _load(plan: Plan, systems: list[System]) -> None:
    async def warm(system: System) -> None:
        system.warm_up = (await system.generator.warm_up(plan.users, concurrency=16)).summary()

    # Not measured, so the systems warm up together: it saves the best part of a minute.
    log("warm-up: one message per user, all systems at once")
    await asyncio.gather(*(warm(system) for system in systems))
    for rate in plan.rates:
        for system in systems:
            if rate not in system.rates:
                continue
            window = (await system.generator.open_loop(rate, plan.window)).summary()
            system.windows[window["name"]] = window
            log(f"{system.name} {window['name']}: {_brief(window)}")
            await asyncio.sleep(2.0)  # let the last replies and writes drain
    measured = [s for s in systems if s.capacity]
    for system in measured:
        window = (await system.generator.closed_loop(plan.concurrency, plan.window)).summary()
        system.flat_out = window
        log(f"{system.name} flat out: {_brief(window)}")
        await asyncio.sleep(3.0)
    # The highest rate each kept up with: probe between what passed and its flat-out capacity.
    for _ in range(plan.probes):
        for system in measured:
            best = max(system.passed(), default=0.0)
            capacity = system.flat_out["throughput"]
            tried = {w["offered_rate"] for w in system.windows.values()}
            rate = float(math.floor(0.9 * capacity))
            failed_above = [r for r in tried if r > best]
            if failed_above:
                rate = min(rate, float(math.floor((best + min(failed_above)) / 2)))
            if rate <= best or rate in tried or rate < 1:
                continue
            window = (await system.generator.open_loop(rate, plan.probe_window)).summary()
            system.windows[window["name"]] = window
            log(f"{system.name} probe {window['name']}: {_brief(window)}")
            await asyncio.sleep(2.0)


def _brief(window: dict) -> str:
    return (
        f"sent {window['sent']}, {window['throughput']}/s ({window['sends_per_second']} "
        f"sends/s), p50 {window['p50_ms']} p95 {window['p95_ms']} p99 {window['p99_ms']} ms, "
        f"unanswered {window['unanswered']}"
    )


async def _side_by_side(plan: Plan, baseline: bool) -> dict:
    from bot.texts import text

    loading = text("model_loading").strip()
    messages = held_out_messages()
    results: dict = {"startup": {}, "load": {"users": plan.users, "concurrency": plan.concurrency}}
    servers = {name: FakeTelegram(TOKEN) for name in (OURS, UNLIMITED, THEIRS)}
    for server in servers.values():
        await server.start()
    processes: dict = {}
    systems: list[System] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            # One at a time, so each start-up is timed without another loading beside it.
            log("starting python -m bot run")
            bot = processes[OURS] = start_bot(servers[OURS], Path(tmp) / "ours.sqlite3")
            await bot.wait_mark("receiving updates", timeout=180)
            marks = await first_reply(servers[OURS], bot.started, loading)
            results["startup"][OURS] = {**bot.marks, **marks}
            log(f"ours: first model reply {marks['first model reply']:.1f} s after start")
            # These two load together to keep `make bench` under 15 minutes, so rasa run's
            # start-up is not comparable with ours (the table says so).
            log("starting rasa run --enable-api with the bridge, and our bot without limiter")
            unlimited = processes[UNLIMITED] = start_bot(
                servers[UNLIMITED], Path(tmp) / "unlimited.sqlite3", limiter=False
            )

            async def ready_unlimited() -> None:
                await unlimited.wait_mark("receiving updates", timeout=180)
                await first_reply(servers[UNLIMITED], unlimited.started, loading)

            async def ready_theirs() -> None:
                theirs = processes[THEIRS] = Baseline(servers[THEIRS])
                await theirs.start()
                marks = await first_reply(servers[THEIRS], theirs.started, loading)
                results["startup"][THEIRS] = {**marks, "beside": UNLIMITED}
                log(f"theirs: first reply {marks['first model reply']:.1f} s after start")

            await asyncio.gather(ready_unlimited(), *([ready_theirs()] if baseline else []))

            def system(name: str, rates: tuple[float, ...], capacity: bool) -> System:
                generator = LoadGenerator(servers[name], messages, plan.users)
                return System(name, generator, rates, capacity)

            systems = [
                system(OURS, plan.deployed_rates, False),
                system(UNLIMITED, plan.rates, True),
            ]
            if baseline:
                systems.append(system(THEIRS, plan.rates, True))
            await _load(plan, systems)
            for one in systems:
                results["load"][one.name] = one.figures()
            for name in (OURS, UNLIMITED):
                results["load"][name]["peak_rss_mib"] = round(processes[name].memory()["VmHWM"])
            if baseline:
                memory = processes[THEIRS].memory()
                results["load"][THEIRS]["peak_rss_mib"] = round(memory["rasa"]["VmHWM"])
                results["load"][THEIRS]["bridge_peak_rss_mib"] = round(memory["bridge"]["VmHWM"])
        finally:
            for process in processes.values():
                process.stop()
            for server in servers.values():
                await server.stop()
    return results


def run(plan: Plan, skip_train: bool = False, baseline: bool = True, write: bool = True) -> dict:
    started = time.monotonic()
    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": report.machine(),
        "plan": plan.__dict__,
    }
    if not skip_train:
        log("training: one full train, then a no-change retrain (about 5 minutes)")
        results["training"] = training.measure()
        log(f"training: {results['training']}")
    from bot.model.training import is_current

    if not is_current():
        log("the model is out of date: training it first (not timed)")
        subprocess.run([sys.executable, "-m", "bot", "train"], cwd=ROOT, check=True)
    log("NLU speed: loading the model in a separate process")
    results["nlu_speed"] = nlu_speed.measure(plan.nlu_turns)
    results.update(asyncio.run(_side_by_side(plan, baseline)))
    log(f"nudge broadcast: {plan.nudge_users:,} due at once")
    results["nudges"] = asyncio.run(nudges.measure(plan.nudge_users, plan.nudge_window))
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    if write:
        report.write(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a tiny load, to check the harness (writes nothing)"
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time training")
    parser.add_argument("--no-baseline", action="store_true", help="measure our bot only")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave results.json and docs alone"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    # A quick run only checks the harness: its figures must not replace the real ones.
    write = not (args.no_write or args.quick)
    results = run(plan, skip_train=args.skip_train, baseline=not args.no_baseline, write=write)
    print(report.render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
