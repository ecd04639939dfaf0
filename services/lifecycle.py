"""A lifecycle: named actions that move a record from some states to one state."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Generic, TypeVar

from services.errors import Conflict, InvalidInput

S = TypeVar("S", bound=Enum)


def with_article(phrase: str) -> str:
    """``phrase`` after its indefinite article: ``an active``, ``a suspended``, ``an event``."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


class Lifecycle(Generic[S]):
    """``actions[action] = (states it may start from, state it leads to)``."""

    def __init__(self, noun: str, states: type[S], actions: Mapping[str, tuple[frozenset[S], S]]) -> None:
        self.noun = noun
        self.states = states
        self.actions = dict(actions)

    def state(self, value: str) -> S:
        try:
            return self.states(value)
        except ValueError:
            raise InvalidInput(
                f"unknown {self.noun} status {value!r}",
                {"status": [f"must be one of {[s.value for s in self.states]}"]},
            ) from None

    def allowed(self, status: str) -> list[str]:
        """Actions a record in ``status`` accepts, in lifecycle order."""
        current = self.state(status)
        return [action for action, (sources, _) in self.actions.items() if current in sources]

    def next(self, status: str, action: str) -> S:
        """The status ``action`` leads to; InvalidInput for an unknown action, Conflict if refused."""
        current = self.state(status)
        if action not in self.actions:
            raise InvalidInput(
                f"unknown {self.noun} action {action!r}",
                {"action": [f"must be one of {list(self.actions)}"]},
            )
        sources, target = self.actions[action]
        if current not in sources:
            raise Conflict(
                self.refusal(current, action),
                {"current_state": current.value, "allowed_actions": self.allowed(current)},
            )
        return target

    def refusal(self, current: S, action: str) -> str:
        """Why ``action`` is refused in ``current``; the bare verb reads right for every action."""
        return f"cannot {action} {with_article(self.noun)} that is {current.value}"
