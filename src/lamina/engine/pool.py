"""The warm environments of one function.

Idle environments are reused last-in first-out, so the most recently used (warmest) one serves
next and the others age towards the keep-alive. Provisioned environments are never reaped.
"""

from __future__ import annotations

from lamina.engine.environment import Environment
from lamina.engine.states import State

# A function whose recent invocations took at most this long (handler time) is expected to
# answer within the engine's polling window (``environment.SPIN_S``).
QUICK_MS = 0.1


class Pool:
    def __init__(self) -> None:
        self._idle: list[tuple[float, Environment]] = []
        self.busy: set[Environment] = set()
        self.provisioned: set[Environment] = set()
        # A retired pool belongs to a replaced deployment: what comes back to it is discarded.
        self.retired = False
        # Moving average of recent invocations' handler time; None before the first.
        self.recent_ms: float | None = None

    @property
    def quick(self) -> bool:
        """Recent invocations were quick enough for the engine to poll for the reply."""
        return self.recent_ms is not None and self.recent_ms <= QUICK_MS

    def note_duration(self, ms: float) -> None:
        recent = self.recent_ms
        self.recent_ms = ms if recent is None else recent + 0.25 * (ms - recent)

    def take(self) -> Environment | None:
        while self._idle:
            _, env = self._idle.pop()
            if env.state is State.IDLE:
                self.busy.add(env)
                return env
        return None

    def hold(self, env: Environment) -> None:
        """Count an environment that is being started for an invocation as busy."""
        self.busy.add(env)

    def put(self, env: Environment, now: float) -> bool:
        """Return an environment after use; False when it must be discarded instead."""
        self.busy.discard(env)
        if env.state is State.IDLE and not self.retired:
            self._idle.append((now, env))
            return True
        self.provisioned.discard(env)
        return False

    def retire(self) -> list[Environment]:
        """Stop taking environments back; returns the idle ones, to be discarded now."""
        self.retired = True
        idle = [env for _, env in self._idle]
        self._idle = []
        self.provisioned.clear()
        return idle

    def expired(self, now: float, keep_alive_s: float) -> list[Environment]:
        """Remove and return idle environments unused for longer than the keep-alive."""
        keep: list[tuple[float, Environment]] = []
        gone: list[Environment] = []
        for since, env in self._idle:
            if env in self.provisioned or now - since < keep_alive_s:
                keep.append((since, env))
            else:
                gone.append(env)
        self._idle = keep
        return gone

    def all(self) -> list[Environment]:
        return [env for _, env in self._idle] + list(self.busy)

    @property
    def idle_count(self) -> int:
        return len(self._idle)
