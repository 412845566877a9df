"""Demo data: a realistic history of an online shop's help desk, written in bulk."""

from __future__ import annotations

from collections.abc import Callable


def seed_demo(
    *,
    tickets: int,
    days: int = 90,
    seed: int = 1,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    password: str | None = None,
    skip_fk_checks: bool = False,
) -> dict:
    """Seed demo tickets; see tickets.demo.seed.seed_demo (imported lazily: it needs models)."""
    from tickets.demo.seed import seed_demo as _seed_demo

    return _seed_demo(
        tickets=tickets,
        days=days,
        seed=seed,
        batch=batch,
        progress=progress,
        password=password,
        skip_fk_checks=skip_fk_checks,
    )


__all__ = ["seed_demo"]
