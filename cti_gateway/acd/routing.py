"""Which ready agent a queue's call goes to, per the queue's strategy."""

from __future__ import annotations

from collections.abc import Sequence

from cti_gateway.acd.model import Agent, Queue, Strategy


def qualifies(agent: Agent, queue: Queue) -> bool:
    """The agent has every skill the queue asks for, at the level it asks."""
    skills = agent.profile.skills
    return all(skills.get(skill, 0) >= level for skill, level in queue.config.skills.items())


def choose_agent(queue: Queue, candidates: Sequence[Agent]) -> Agent | None:
    """The agent the queue's strategy picks among free, qualified candidates."""
    if not candidates:
        return None
    strategy = queue.config.strategy
    if strategy is Strategy.ROUND_ROBIN:
        return _next_after(queue.last_agent, candidates)
    if strategy is Strategy.FEWEST_CALLS:
        return min(candidates, key=lambda a: (a.calls_taken, a.idle_since, a.name))
    if strategy is Strategy.SKILLS:
        return min(candidates, key=lambda a: (-_skill_score(a, queue), a.idle_since, a.name))
    return min(candidates, key=lambda a: (a.idle_since, a.name))


def _skill_score(agent: Agent, queue: Queue) -> int:
    skills = agent.profile.skills
    wanted = queue.config.skills or skills
    return sum(skills.get(skill, 0) for skill in wanted)


def _next_after(last: str | None, candidates: Sequence[Agent]) -> Agent:
    """Round robin with memory: the first agent, in name order, after the one
    who got the queue's previous call, wrapping around."""
    ordered = sorted(candidates, key=lambda a: a.name)
    if last is None:
        return ordered[0]
    for agent in ordered:
        if agent.name > last:
            return agent
    return ordered[0]
