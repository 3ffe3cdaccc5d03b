"""The environment budget: the limit descriptors and memory allow, and who gets room first."""

from __future__ import annotations

import asyncio

from lamina.engine.budget import Budget, environment_limit


def test_the_limit_is_the_smaller_of_what_descriptors_and_memory_allow() -> None:
    assert environment_limit(1024, 64 << 30) == (1024 - 256) // 8
    assert environment_limit(1 << 20, 1 << 30) == 32
    assert environment_limit(300, None) == 5
    assert environment_limit(100, 1 << 20) == 4
    assert environment_limit(1024, 1 << 30, configured=7) == 7


def test_room_goes_to_waiters_in_order_and_a_freed_environment_to_its_own_function() -> None:
    async def main() -> None:
        budget = Budget(2)
        budget.opened("one")
        budget.opened("two")
        assert not budget.has_room()
        first, second = budget.wait("pool-a"), budget.wait("pool-b")
        assert not budget.has_room(), "a newcomer queues behind the waiters"
        assert budget.hand_over("pool-b", "env-b")
        assert second.result() == "env-b" and not first.done()
        assert budget.others_waiting("pool-b")
        budget.closed("one")
        assert first.result() is None
        budget.closed("one")
        assert budget.live == 1, "an environment closed twice counts once"

    asyncio.run(main())
