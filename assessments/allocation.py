"""HIT design generation and per-worker statement order from a batch's composition (pure)."""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

# How many random party splits to try before declaring a group infeasible; with the study's
# 2 designs per doc group about a third of random splits are balanced, so this never runs out
# on a feasible pool.
_SPLIT_TRIES = 500


class CompositionError(ValueError):
    """The pool cannot be laid out as the composition asks; the message says why."""


@dataclass(frozen=True)
class PoolItem:
    """What allocation needs to know about a pool statement (no text, no database)."""

    id: int
    dataset: str
    level: int | None
    party: str = ""
    group: str = ""


@dataclass(frozen=True)
class DesignPlan:
    """One design: its dataset statement ids, grouped by the composition block they fill."""

    blocks: tuple[tuple[int, ...], ...]

    @property
    def statement_ids(self) -> list[int]:
        return [sid for block in self.blocks for sid in block]


def composition_errors(composition: object) -> list[str]:
    """Return what is wrong with a composition object (empty list: well formed)."""
    if not isinstance(composition, dict):
        return ["the composition must be an object"]
    errors = []
    blocks = composition.get("blocks", [])
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("dataset"), str):
            errors.append(f"block {index}: needs a dataset name")
            continue
        per_level = block.get("per_level", 1)
        if not isinstance(per_level, int) or per_level < 1:
            errors.append(f"block {index}: per_level must be a positive integer")
        parties = block.get("parties")
        if parties is not None and (
            not isinstance(parties, dict)
            or not all(isinstance(n, int) and n >= 0 for n in parties.values())
        ):
            errors.append(f"block {index}: parties must map party names to counts")
        placement = block.get("placement", [])
        if not isinstance(placement, list) or not set(placement) <= {"first", "last"}:
            errors.append(f"block {index}: placement must list 'first' and/or 'last'")
        if placement and not block.get("contiguous"):
            errors.append(f"block {index}: placement needs contiguous: true")
    return errors


def designs_generate(
    pool: Sequence[PoolItem],
    composition: dict,
    *,
    dataset_per_hit: int,
    rng: random.Random,
) -> list[DesignPlan]:
    """Lay the pool out into designs so that every statement is in exactly one design.

    With no composition blocks, the shuffled pool is cut into designs of `dataset_per_hit`.
    Raise CompositionError when the pool does not fit the composition.
    """
    errors = composition_errors(composition)
    if errors:
        raise CompositionError("; ".join(errors))
    if not pool:
        raise CompositionError("the statement pool is empty")
    blocks = composition.get("blocks", [])
    if not blocks:
        if len(pool) % dataset_per_hit:
            raise CompositionError(
                f"{len(pool)} statements do not split into designs of {dataset_per_hit}"
            )
        ids = [item.id for item in pool]
        rng.shuffle(ids)
        return [
            DesignPlan(blocks=(tuple(ids[i : i + dataset_per_hit]),))
            for i in range(0, len(ids), dataset_per_hit)
        ]

    by_dataset: dict[str, list[PoolItem]] = defaultdict(list)
    for item in pool:
        by_dataset[item.dataset].append(item)
    named = {block["dataset"] for block in blocks}
    if len(named) != len(blocks):
        raise CompositionError("each dataset may appear in one block only")
    unused = sorted(set(by_dataset) - named)
    if unused:
        raise CompositionError(f"the pool holds statements of datasets no block uses: {unused}")

    per_block: list[list[tuple[int, ...]]] = []
    for block in blocks:
        items = by_dataset.get(block["dataset"], [])
        if not items:
            raise CompositionError(f"the pool holds no {block['dataset']} statements")
        per_block.append(_block_fill(items, block, rng))
    counts = {len(designs) for designs in per_block}
    if len(counts) != 1:
        sizes = ", ".join(
            f"{b['dataset']}: {len(d)}" for b, d in zip(blocks, per_block, strict=False)
        )
        raise CompositionError(f"the blocks give different numbers of designs ({sizes})")
    plans = [DesignPlan(blocks=parts) for parts in zip(*per_block, strict=False)]
    size = len(plans[0].statement_ids)
    if size != dataset_per_hit:
        raise CompositionError(
            f"a design holds {size} dataset statements but the batch wants {dataset_per_hit}"
        )
    return plans


def _levels(items: Sequence[PoolItem], dataset: str) -> dict[int, list[PoolItem]]:
    by_level: dict[int, list[PoolItem]] = defaultdict(list)
    for item in items:
        if item.level is None:
            raise CompositionError(f"{dataset} statement {item.id} has no expert level")
        by_level[item.level].append(item)
    return by_level


def _block_fill(items: Sequence[PoolItem], block: dict, rng: random.Random) -> list[tuple]:
    """Return one tuple of statement ids per design for this block."""
    dataset, _per_level = block["dataset"], block.get("per_level", 1)
    if block.get("same_group"):
        groups: dict[str, list[PoolItem]] = defaultdict(list)
        for item in items:
            groups[item.group].append(item)
        designs = []
        for group in sorted(groups):
            designs.extend(_group_fill(groups[group], block, rng, f"{dataset} group {group!r}"))
        rng.shuffle(designs)
        return designs
    return _group_fill(items, block, rng, dataset)


def _group_fill(items: Sequence[PoolItem], block: dict, rng: random.Random, where: str) -> list:
    per_level = block.get("per_level", 1)
    by_level = _levels(items, where)
    sizes = {len(level_items) for level_items in by_level.values()}
    if len(sizes) != 1:
        raise CompositionError(f"{where}: levels hold different numbers of statements")
    size = sizes.pop()
    if size % per_level:
        raise CompositionError(
            f"{where}: {size} statements per level is not a multiple of {per_level}"
        )
    n_designs = size // per_level
    parties = block.get("parties")
    for _ in range(_SPLIT_TRIES if parties else 1):
        designs: list[list[PoolItem]] = [[] for _ in range(n_designs)]
        for level in sorted(by_level):
            shuffled = list(by_level[level])
            rng.shuffle(shuffled)
            for index, item in enumerate(shuffled):
                designs[index % n_designs].append(item)
        if not parties or all(_party_counts(d) == parties for d in designs):
            return [tuple(item.id for item in design) for design in designs]
    raise CompositionError(f"{where}: no way found to give every design the parties {parties}")


def _party_counts(design: Sequence[PoolItem]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in design:
        counts[item.party] += 1
    return dict(counts)


def statement_order(
    plan: DesignPlan, composition: dict, gold_ids: Sequence[int], *, rng: random.Random
) -> list[int]:
    """Return the order one worker sees a design's statements (plus gold) in.

    Contiguous blocks go first or last (chosen at random among their placements) in random inner
    order; every other statement, gold included, fills the remaining positions at random.
    """
    blocks = composition.get("blocks", [])
    first: list[int] = []
    last: list[int] = []
    free: list[int] = list(gold_ids)
    for block_ids, block in zip(plan.blocks, blocks or [{}] * len(plan.blocks), strict=False):
        ids = list(block_ids)
        if block.get("contiguous") and block.get("placement"):
            rng.shuffle(ids)
            if rng.choice(block["placement"]) == "first":
                first.extend(ids)
            else:
                last = ids + last
        else:
            free.extend(ids)
    rng.shuffle(free)
    return first + free + last


def plan_from_items(items: Sequence[PoolItem], composition: dict) -> DesignPlan:
    """Rebuild a stored design's blocks from its statements (blocks are told apart by dataset)."""
    blocks = composition.get("blocks", [])
    if not blocks:
        return DesignPlan(blocks=(tuple(item.id for item in items),))
    return DesignPlan(
        blocks=tuple(
            tuple(item.id for item in items if item.dataset == block["dataset"]) for block in blocks
        )
    )
