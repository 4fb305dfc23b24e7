"""The GPU scheduler against a declared inventory (the fake NVML): packing, no
oversubscription at any instant, queue order and bounded backfill, a GPU that
disappears, needs the machine can never meet."""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest

from vlmhyperbench.core import ConfigError, ResourceSpec
from vlmhyperbench.scheduler import (
    ENV_GPU_INVENTORY,
    Allocation,
    GpuInfo,
    GpuLease,
    GpuNeed,
    GpuScheduler,
    place,
    read_inventory,
)

GIB = 1024


def _gpus(n: int = 4, gib: int = 80, used: dict[int, int] | None = None) -> list[dict[str, object]]:
    return [
        {
            "index": i,
            "uuid": f"GPU-{i}",
            "memory_total_mib": gib * GIB,
            "memory_used_mib": (used or {}).get(i, 0),
        }
        for i in range(n)
    ]


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Declares GPUs in a file named by VLMHB_GPU_INVENTORY; call it again to change them."""
    path = tmp_path / "gpus.json"
    monkeypatch.setenv(ENV_GPU_INVENTORY, str(path))

    def declare(gpus: list[dict[str, object]]) -> list[GpuInfo]:
        path.write_text(json.dumps(gpus), encoding="utf-8")
        return read_inventory()

    declare(_gpus())
    return declare


def need(count: int, gib: float | None) -> GpuNeed:
    return GpuNeed.of(ResourceSpec(gpus=count, gpu_memory_gb=gib))  # type: ignore[return-value]


def _assert_never_oversubscribed(history: Sequence[Allocation], gpus: Sequence[GpuInfo]) -> None:
    total = {g.uuid: g.memory_total_mib for g in gpus}
    held: dict[str, int] = defaultdict(int)
    for step in history:
        assert len(set(step.uuids)) == len(step.uuids), f"{step.run_id} got one GPU twice"
        for uuid in step.uuids:
            held[uuid] += step.memory_mib if step.action == "acquire" else -step.memory_mib
            assert held[uuid] <= total[uuid], f"{uuid} oversubscribed when {step.run_id} started"


async def _simulate(
    scheduler: GpuScheduler, runs: Sequence[tuple[str, GpuNeed, float]], *, stagger_s: float = 0.0
) -> dict[str, tuple[float, float, GpuLease]]:
    """Each run (config order = list order) acquires, holds its GPUs ``duration`` s, releases."""
    done: dict[str, tuple[float, float, GpuLease]] = {}

    async def one(position: int, run_id: str, wanted: GpuNeed, duration: float) -> None:
        lease = await scheduler.acquire(run_id, wanted, position)
        start = time.monotonic()
        await anyio.sleep(duration)
        scheduler.release(lease)
        done[run_id] = (start, time.monotonic(), lease)

    async with anyio.create_task_group() as tg:
        for position, (run_id, wanted, duration) in enumerate(runs):
            tg.start_soon(one, position, run_id, wanted, duration)
            await anyio.sleep(stagger_s)
    return done


def test_declared_inventory_is_validated_and_read_again_each_time(inventory, tmp_path: Path) -> None:
    assert [g.uuid for g in read_inventory()] == ["GPU-0", "GPU-1", "GPU-2", "GPU-3"]
    assert [g.index for g in inventory(_gpus(2))] == [0, 1]
    (tmp_path / "gpus.json").write_text('[{"index": 0, "uuid": "GPU-0"}]', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_inventory()
    assert "gpus.json" in caught.value.render() and "memory_total_mib" in caught.value.render()
    (tmp_path / "gpus.json").write_text(json.dumps(_gpus(2) + _gpus(1)), encoding="utf-8")
    with pytest.raises(ConfigError, match="twice"):
        read_inventory()


def test_runs_pack_best_fit_onto_distinct_gpus_with_enough_free_memory(inventory) -> None:
    gpus = inventory(_gpus())
    reserved: dict[str, int] = {}

    def take(wanted: GpuNeed) -> list[int] | None:
        chosen = place(wanted, gpus, reserved)
        if chosen is None:
            return None
        for g in chosen:
            reserved[g.uuid] = reserved.get(g.uuid, 0) + (wanted.memory_mib or g.memory_total_mib)
        return [g.index for g in chosen]

    assert take(need(1, 40)) == [0]
    assert take(need(1, 16)) == [0]  # the fullest GPU that fits: big holes stay free
    assert take(need(2, 80)) == [1, 2]
    assert take(need(1, 40)) == [3]
    assert take(need(1, 40)) == [3]
    assert take(need(1, 24)) == [0]  # 40 + 16 + 24 = 80: exactly full
    assert take(need(1, 1)) is None  # nothing is left anywhere
    assert take(need(1, None)) is None  # a whole GPU needs one nobody holds


def test_memory_another_program_uses_is_not_assigned(inventory) -> None:
    gpus = inventory(_gpus(2, used={0: 70 * GIB}))
    chosen = place(need(1, 16), gpus, {})
    assert chosen is not None and [g.index for g in chosen] == [1]
    # memory in use that our own reservation accounts for is not counted twice
    chosen = place(need(1, 30), gpus, {"GPU-0": 40 * GIB, "GPU-1": 60 * GIB})
    assert chosen is None
    assert place(need(1, 10), gpus, {"GPU-0": 70 * GIB, "GPU-1": 60 * GIB}) is not None


def test_no_gpu_is_ever_oversubscribed_in_a_mixed_matrix(inventory) -> None:
    gpus = inventory(_gpus())
    rng = random.Random(14)
    shapes = [need(1, 40), need(2, 80), need(1, 16), need(1, None), need(4, 20), need(1, 70)]
    runs = [(f"r{i}", rng.choice(shapes), rng.uniform(0.01, 0.06)) for i in range(24)]
    scheduler = GpuScheduler(poll_s=0.01)
    done = anyio.run(lambda: _simulate(scheduler, runs))
    assert set(done) == {r for r, _, _ in runs}
    _assert_never_oversubscribed(scheduler.history, gpus)
    concurrent = max(sum(1 for s, e, _ in done.values() if s <= start < e) for start, _, _ in done.values())
    assert concurrent > 1  # it packs, it does not run one at a time
    assert scheduler.reserved() == {}


def test_the_queue_follows_the_config_order(inventory) -> None:
    inventory(_gpus(1))
    scheduler = GpuScheduler(poll_s=0.01)

    async def main() -> None:
        first = await scheduler.acquire("r0", need(1, 80), 0)

        async def one(position: int) -> None:
            lease = await scheduler.acquire(f"r{position}", need(1, 80), position)
            await anyio.sleep(0.01)
            scheduler.release(lease)

        async with anyio.create_task_group() as tg:
            for position in (4, 2, 3, 1):  # they arrive out of order
                tg.start_soon(one, position)
                await anyio.sleep(0.01)
            scheduler.release(first)

    anyio.run(main)
    assert [a.run_id for a in scheduler.history if a.action == "acquire"] == ["r0", "r1", "r2", "r3", "r4"]


def test_backfill_passes_a_blocked_run_at_most_backfill_limit_times(inventory) -> None:
    inventory(_gpus(2))
    scheduler = GpuScheduler(poll_s=0.01, backfill_limit=2)
    runs = [("long", need(1, 80), 0.3), ("big", need(2, 40), 0.05)]
    runs += [(f"small{i}", need(1, 16), 0.15) for i in range(4)]
    done = anyio.run(lambda: _simulate(scheduler, runs, stagger_s=0.01))
    order = [a.run_id for a in scheduler.history if a.action == "acquire"]
    # big (2 GPUs) cannot start while long holds GPU 0; two small runs backfill GPU 1,
    # then nothing behind big may start before it does
    assert order == ["long", "small0", "small1", "big", "small2", "small3"]
    assert done["big"][0] >= done["long"][1] - 0.01


def test_without_backfill_the_head_run_goes_first(inventory) -> None:
    inventory(_gpus(2))
    scheduler = GpuScheduler(poll_s=0.01, backfill_limit=0)
    runs = [("long", need(1, 80), 0.15), ("big", need(2, 40), 0.02), ("small", need(1, 16), 0.02)]
    anyio.run(lambda: _simulate(scheduler, runs, stagger_s=0.01))
    assert [a.run_id for a in scheduler.history if a.action == "acquire"] == ["long", "big", "small"]


def test_a_gpu_that_disappears_is_no_longer_assigned(inventory) -> None:
    inventory(_gpus(2))
    scheduler = GpuScheduler(poll_s=0.01)
    got: dict[str, object] = {}

    async def main() -> None:
        holder = await scheduler.acquire("holder", need(2, 80), 0)  # both GPUs

        async def wait_for(run_id: str, wanted: GpuNeed, position: int) -> None:
            try:
                lease = await scheduler.acquire(run_id, wanted, position)
            except ConfigError as exc:
                got[run_id] = exc
                return
            got[run_id] = lease.uuids
            scheduler.release(lease)

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait_for, "two", need(2, 40), 1)
            tg.start_soon(wait_for, "one", need(1, 40), 2)
            await anyio.sleep(0.05)
            inventory(_gpus(1))  # GPU 1 falls off the bus
            await anyio.sleep(0.05)
            scheduler.release(holder)

    anyio.run(main)
    assert isinstance(got["two"], ConfigError)
    assert "this machine has 1 GPU" in got["two"].render()
    assert got["one"] == ["GPU-0"]  # GPU 1 was free again, but it is gone
    assert [a.uuids for a in scheduler.history if a.run_id != "holder"] == [("GPU-0",), ("GPU-0",)]


@pytest.mark.parametrize(
    ("wanted", "declared", "message"),
    [
        (need(5, 16), _gpus(4), "asks for 5 GPUs with 16 GiB each and this machine has 4 GPUs"),
        (
            need(1, 96),
            _gpus(4),
            "only 0 of this machine's GPUs have that much memory (the largest has 80 GiB)",
        ),
        (need(1, 16), [], "this machine has no GPU"),
    ],
)
def test_a_need_the_machine_cannot_meet_is_refused_at_once(inventory, wanted, declared, message) -> None:
    inventory(declared)
    with pytest.raises(ConfigError) as caught:
        GpuScheduler().check(wanted)
    text = caught.value.render()
    assert text.startswith("the run cannot get its GPUs: ") and message in text and "hint:" in text


def test_a_cancelled_wait_reserves_nothing(inventory) -> None:
    inventory(_gpus(1))
    scheduler = GpuScheduler(poll_s=0.01)

    async def main() -> None:
        lease = await scheduler.acquire("a", need(1, 80), 0)
        with anyio.move_on_after(0.05):
            await scheduler.acquire("b", need(1, 80), 1)
        scheduler.release(lease)
        scheduler.release(lease)  # twice is harmless
        assert scheduler.reserved() == {}
        assert (await scheduler.acquire("c", need(1, 80), 2)).uuids == ["GPU-0"]

    anyio.run(main)
