"""Choose a buddy for each first-timer (pure): returning members who said yes, volunteers first, spread."""

from __future__ import annotations


def assign(newcomers: list[int], candidates: list[tuple[int, bool]], existing: dict[int, int]) -> dict[int, int]:
    """New pairs {newcomer: buddy} for the newcomers not in `existing`. `candidates` are (member, volunteered)
    in answer order; each newcomer gets the candidate with the fewest newcomers so far (counting `existing`),
    a volunteer before others, then the earlier answer. Nobody is their own buddy."""
    order = {member: i for i, (member, _v) in enumerate(candidates)}
    volunteer = dict(candidates)
    load: dict[int, int] = {member: 0 for member, _v in candidates}
    for buddy in existing.values():
        if buddy in load:
            load[buddy] += 1
    new: dict[int, int] = {}
    for newcomer in newcomers:
        if newcomer in existing:
            continue
        choices = [m for m in load if m != newcomer]
        if not choices:
            break
        best = min(choices, key=lambda m: (load[m], not volunteer[m], order[m]))
        new[newcomer] = best
        load[best] += 1
    return new
