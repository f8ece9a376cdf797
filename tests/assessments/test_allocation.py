"""Design generation and per-worker order (pure, no database)."""

import random
from collections import Counter

import pytest

from assessments import allocation
from assessments.allocation import CompositionError, PoolItem
from assessments.services.studies import IPM2021_COMPOSITION


def ipm_pool():
    items, next_id = [], 1
    for group in range(1, 11):
        for level in range(6):
            for party in ("DEM", "REP"):
                items.append(PoolItem(next_id, "politifact", level, party, str(group)))
                next_id += 1
    for level in range(3):
        for k in range(20):
            items.append(
                PoolItem(next_id, "abc", level, "Labor" if k % 2 else "Liberal", str(k % 10))
            )
            next_id += 1
    return items


def test_ipm2021_designs_follow_the_composition():
    pool = ipm_pool()
    by_id = {item.id: item for item in pool}
    plans = allocation.designs_generate(
        pool, IPM2021_COMPOSITION, dataset_per_hit=9, rng=random.Random(1)
    )
    assert len(plans) == 20
    ids = [sid for plan in plans for sid in plan.statement_ids]
    assert sorted(ids) == sorted(by_id)  # every statement in exactly one design
    for plan in plans:
        pf, abc = [by_id[i] for i in plan.blocks[0]], [by_id[i] for i in plan.blocks[1]]
        assert sorted(i.level for i in pf) == list(range(6))
        assert Counter(i.party for i in pf) == {"DEM": 3, "REP": 3}
        assert len({i.group for i in pf}) == 1
        assert sorted(i.level for i in abc) == [0, 1, 2]
    # the two designs of a doc group split its statements: per level, one DEM and one REP
    groups = Counter(by_id[plan.blocks[0][0]].group for plan in plans)
    assert set(groups.values()) == {2}


def test_statement_order_puts_abc_block_first_or_last_and_gold_anywhere():
    pool = ipm_pool()
    by_id = {item.id: item for item in pool}
    plans = allocation.designs_generate(
        pool, IPM2021_COMPOSITION, dataset_per_hit=9, rng=random.Random(2)
    )
    starts, gold_positions = set(), set()
    rng = random.Random(3)
    for _ in range(200):
        order = allocation.statement_order(plans[0], IPM2021_COMPOSITION, [9001, 9002], rng=rng)
        assert len(order) == 11 and len(set(order)) == 11
        abc_positions = [
            i for i, sid in enumerate(order) if sid in by_id and by_id[sid].dataset == "abc"
        ]
        assert abc_positions in ([0, 1, 2], [8, 9, 10])
        starts.add(abc_positions[0])
        gold_positions.update(i for i, sid in enumerate(order) if sid > 9000)
    assert starts == {0, 8}
    assert gold_positions == set(range(3, 11)) | set(range(0, 8))


def test_plan_from_items_rebuilds_blocks_by_dataset():
    items = [PoolItem(1, "abc", None), PoolItem(2, "politifact", None), PoolItem(3, "abc", None)]
    plan = allocation.plan_from_items(items, IPM2021_COMPOSITION)
    assert plan.blocks == ((2,), (1, 3))


def test_without_composition_the_pool_is_cut_into_equal_designs():
    pool = [PoolItem(i, "x", 0) for i in range(1, 13)]
    plans = allocation.designs_generate(pool, {}, dataset_per_hit=4, rng=random.Random(0))
    assert len(plans) == 3
    assert sorted(s for p in plans for s in p.statement_ids) == list(range(1, 13))


@pytest.mark.parametrize(
    ("pool", "composition", "per_hit", "message"),
    [
        ([PoolItem(i, "x", 0) for i in range(5)], {}, 2, "do not split"),
        (ipm_pool()[:-1], IPM2021_COMPOSITION, 9, "different numbers"),
        (ipm_pool(), IPM2021_COMPOSITION, 11, "wants 11"),
        ([*ipm_pool(), PoolItem(999, "other", 0)], IPM2021_COMPOSITION, 9, "no block uses"),
        (
            [PoolItem(i, "politifact", i % 6, "DEM", "1") for i in range(12)],
            {
                "blocks": [
                    {"dataset": "politifact", "same_group": True, "parties": {"DEM": 3, "REP": 3}}
                ]
            },
            6,
            "parties",
        ),
        (
            [PoolItem(1, "x", 0)],
            {"blocks": [{"dataset": "x", "placement": ["middle"]}]},
            1,
            "placement",
        ),
    ],
)
def test_infeasible_pools_are_reported(pool, composition, per_hit, message):
    with pytest.raises(CompositionError, match=message):
        allocation.designs_generate(
            pool, composition, dataset_per_hit=per_hit, rng=random.Random(0)
        )
