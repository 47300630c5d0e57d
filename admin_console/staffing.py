"""Staffing advice: how many agents a queue needs, by Erlang C and by Erlang A.

Plain arithmetic for the supervisor console, with no framework and no database: the
console hands in what it measured over the last 15, 30 and 60 minutes and shows the
advice. docs/console.md ("Staffing advice") gives the formulas and their meaning.

Units: times in seconds, traffic in Erlangs (arrivals per second times the average
handle time), probabilities and service levels as fractions (0.8 for 80 %).

Service level here is what the reports count (docs/crm.md): the share of the contacts
offered that were answered within the target time; a contact that abandons counts as
not answered in time, whenever it abandons.

Both models are exact and fast for large queues: Erlang B by its recursion (no
factorials, no powers), Erlang A by series whose terms are ratios, rescaled before they
overflow; finding the agents needed for 1,000 Erlangs takes well under a millisecond
by Erlang C and a few by Erlang A (bench/staffing.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

#: Largest team the advice considers before it says the traffic is out of reach.
DEFAULT_MAX_AGENTS = 10_000

_RESCALE = 1e250        # series sums are divided by this before they overflow
_LOG_RESCALE = math.log(_RESCALE)
_SERIES_EPSILON = 1e-17  # a term this small next to the sum no longer changes it
_MAX_SERIES_TERMS = 1_000_000  # a guard against a queue overloaded beyond any use


def _check_number(name: str, value: float, *, positive: bool = False) -> float:
    """`value` as a float, or a ValueError naming it when negative, NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'zero or more'}, not {value!r}")
    return value


def _check_agents(agents: int, *, at_least: int = 1) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise ValueError(f"agents must be a whole number, not {agents!r}")
    if agents < at_least:
        raise ValueError(f"agents must be {at_least} or more, not {agents}")
    return agents


# ---------------------------------------------------------------------------------------
# Erlang B and Erlang C (M/M/n: no one abandons)


def _inverse_erlang_b_table(traffic: float, up_to: int) -> list[float]:
    """1 / B(n, A) for n = 0 .. up_to, by the Erlang B recursion in its inverse form.

    B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)), that is 1/B(n) = 1 + (n / A) / B(n-1):
    stable, and overflowing only to infinity (B = 0) when n is far above A.
    """
    table = [1.0]
    inverse = 1.0
    for n in range(1, up_to + 1):
        inverse = 1.0 + inverse * n / traffic
        table.append(inverse)
    return table


def erlang_b(agents: int, traffic: float) -> float:
    """Erlang B: the share of contacts blocked when `agents` serve `traffic` Erlangs with no queue."""
    agents = _check_agents(agents, at_least=0)
    traffic = _check_number("traffic", traffic)
    if traffic == 0:
        return 1.0 if agents == 0 else 0.0
    return 1.0 / _inverse_erlang_b_table(traffic, agents)[agents]


def _erlang_c_from_inverse_b(agents: int, traffic: float, inverse_b: float) -> float:
    # C = n B / (n - A (1 - B)), multiplied through by 1/B so that B = 0 gives C = 0
    if agents <= traffic:
        return 1.0
    return agents / ((agents - traffic) * inverse_b + traffic)


def erlang_c(agents: int, traffic: float) -> float:
    """Erlang C: the probability that a contact waits (1 when the agents cannot keep up)."""
    agents = _check_agents(agents)
    traffic = _check_number("traffic", traffic)
    if traffic == 0:
        return 0.0
    return _erlang_c_from_inverse_b(agents, traffic, _inverse_erlang_b_table(traffic, agents)[agents])


@dataclass(frozen=True)
class ErlangCFigures:
    """What `agents` achieve for a traffic by Erlang C."""

    agents: int
    waiting_probability: float
    service_level: float   # share of contacts answered within the target time
    asa_seconds: float     # average speed of answer; infinite when the agents cannot keep up
    occupancy: float       # share of the agents' time spent on contacts


def _erlang_c_figures(agents: int, traffic: float, handle_seconds: float, answer_seconds: float,
                      inverse_b: float) -> ErlangCFigures:
    if traffic == 0:
        return ErlangCFigures(agents, 0.0, 1.0, 0.0, 0.0)
    waiting = _erlang_c_from_inverse_b(agents, traffic, inverse_b)
    if agents <= traffic:
        return ErlangCFigures(agents, 1.0, 0.0, math.inf, 1.0)
    # the wait of a waiting contact is exponential with rate (n - A) / AHT
    service_level = 1.0 - waiting * math.exp(-(agents - traffic) * answer_seconds / handle_seconds)
    asa = waiting * handle_seconds / (agents - traffic)
    return ErlangCFigures(agents, waiting, service_level, asa, traffic / agents)


def erlang_c_figures(agents: int, traffic: float, handle_seconds: float, answer_seconds: float) -> ErlangCFigures:
    """Erlang C for `agents`: waiting probability, service level within `answer_seconds`, ASA, occupancy.

    P(wait) = C(n, A); SL(t) = 1 - C e^{-(n - A) t / AHT}; ASA = C AHT / (n - A); occupancy = A / n.
    """
    agents = _check_agents(agents)
    traffic = _check_number("traffic", traffic)
    handle_seconds = _check_number("handle_seconds", handle_seconds, positive=True)
    answer_seconds = _check_number("answer_seconds", answer_seconds)
    inverse_b = _inverse_erlang_b_table(traffic, agents)[agents] if traffic else math.inf
    return _erlang_c_figures(agents, traffic, handle_seconds, answer_seconds, inverse_b)


@dataclass(frozen=True)
class ServiceTarget:
    """A queue's target: `level` of the contacts answered within `seconds`, and optional caps."""

    level: float                        # 0.8 for 80 %
    seconds: float                      # 20 for "in 20 s"
    max_asa_seconds: float | None = None
    max_occupancy: float | None = None  # 0.85 keeps agents from running flat out
    max_abandon: float | None = None    # share of contacts abandoning; Erlang A only (none abandon in C)

    def __post_init__(self) -> None:
        level = _check_number("service level", self.level)
        if not 0 < level < 1:
            raise ValueError(f"service level must be between 0 and 1 (exclusive), not {self.level!r}")
        _check_number("target seconds", self.seconds)
        if self.max_asa_seconds is not None:
            _check_number("max ASA", self.max_asa_seconds, positive=True)
        if self.max_occupancy is not None:
            occupancy = _check_number("max occupancy", self.max_occupancy, positive=True)
            if occupancy > 1:
                raise ValueError(f"max occupancy must be at most 1, not {self.max_occupancy!r}")
        if self.max_abandon is not None and _check_number("max abandon", self.max_abandon) >= 1:
            raise ValueError(f"max abandon must be below 1, not {self.max_abandon!r}")


def _meets(target: ServiceTarget, service_level: float, asa_seconds: float, occupancy: float,
           abandon: float = 0.0) -> bool:
    return (service_level >= target.level
            and (target.max_asa_seconds is None or asa_seconds <= target.max_asa_seconds)
            and (target.max_occupancy is None or occupancy <= target.max_occupancy)
            and (target.max_abandon is None or abandon <= target.max_abandon))


def agents_needed_erlang_c(traffic: float, handle_seconds: float, target: ServiceTarget,
                           max_agents: int = DEFAULT_MAX_AGENTS) -> int | None:
    """The fewest agents that meet `target` by Erlang C, or None when more than `max_agents` would.

    One pass up the Erlang B recursion: each n costs a few operations, so 1,000 Erlangs
    take about a thousand steps.
    """
    traffic = _check_number("traffic", traffic)
    handle_seconds = _check_number("handle_seconds", handle_seconds, positive=True)
    max_agents = _check_agents(max_agents, at_least=0)
    if traffic == 0:
        return 0
    inverse_b = 1.0
    for agents in range(1, max_agents + 1):
        inverse_b = 1.0 + inverse_b * agents / traffic
        if agents <= traffic:
            continue
        figures = _erlang_c_figures(agents, traffic, handle_seconds, target.seconds, inverse_b)
        if _meets(target, figures.service_level, figures.asa_seconds, figures.occupancy):
            return agents
    return None


# ---------------------------------------------------------------------------------------
# Erlang A (M/M/n+M: contacts abandon after an exponential patience)


class OverloadError(ValueError):
    """The queue would hold millions of waiting contacts: no figure worth computing."""


@dataclass(frozen=True)
class ErlangAFigures:
    """What `agents` achieve for a traffic by Erlang A."""

    agents: int
    waiting_probability: float
    abandon_probability: float
    service_level: float      # share of all contacts answered within the target time
    asa_seconds: float        # average wait of the answered contacts
    mean_wait_seconds: float  # average wait of all contacts, answered or abandoned
    occupancy: float


def _queue_series(x: float, y: float) -> tuple[float, float, float, float]:
    """Sums over k = 0, 1, ... contacts already queued when one more arrives to a full team.

    With x = n mu / theta and y = lambda / theta, k queued has the weight
    t_k = y^k / ((x+1)(x+2)...(x+k)) relative to "all agents busy, none queued". A contact
    that finds k ahead moves up at rate n mu + j theta while j are ahead, and abandons at
    rate theta, so it is answered with probability x / (x+k+1) after an expected wait of
    (1/theta) * sum_{j=1}^{k+1} 1/(x+j) (when answered).

    Returns (log S, K/S, R/S, V/S) with S = sum t_k, K = sum k t_k, R = sum t_k x/(x+k+1)
    (which is x G(x+1, y) of the docstring below), V = sum t_k x/(x+k+1) sum_{j<=k+1} 1/(x+j).
    """
    if y - x > _MAX_SERIES_TERMS:  # the terms would grow for that many steps
        raise OverloadError("the queue is too overloaded for Erlang A at this patience")
    term, log_scale = 1.0, 0.0
    total = 1.0
    queued = 0.0
    answered = x / (x + 1)
    harmonic = 1.0 / (x + 1)
    answered_wait = answered * harmonic
    k = 0
    while True:
        k += 1
        if k > _MAX_SERIES_TERMS:
            raise OverloadError("the queue is too overloaded for Erlang A at this patience")
        term *= y / (x + k)
        harmonic += 1.0 / (x + k + 1)
        share = x / (x + k + 1)
        total += term
        queued += k * term
        answered += term * share
        answered_wait += term * share * harmonic
        if total > _RESCALE:
            term /= _RESCALE
            total /= _RESCALE
            queued /= _RESCALE
            answered /= _RESCALE
            answered_wait /= _RESCALE
            log_scale += _LOG_RESCALE
        if x + k > y and term <= total * _SERIES_EPSILON:
            break
    return log_scale + math.log(total), queued / total, answered / total, answered_wait / total


def _log_answered_series(x: float, z: float) -> float:
    """log of R(z) = sum_k z^k x / ((x+1)...(x+k+1)), which is x G(x+1, z)."""
    term = x / (x + 1)
    total = term
    log_scale = 0.0
    k = 0
    while True:
        k += 1
        if k > _MAX_SERIES_TERMS:
            raise OverloadError("the queue is too overloaded for Erlang A at this patience")
        term *= z / (x + k + 1)
        total += term
        if total > _RESCALE:
            term /= _RESCALE
            total /= _RESCALE
            log_scale += _LOG_RESCALE
        if x + k + 1 > z and term <= total * _SERIES_EPSILON:
            break
    return log_scale + math.log(total)


def _erlang_a_figures(agents: int, traffic: float, handle_seconds: float, patience_seconds: float,
                      answer_seconds: float, inverse_b: float) -> ErlangAFigures:
    if traffic == 0:
        return ErlangAFigures(agents, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    x = agents * patience_seconds / handle_seconds
    y = traffic * patience_seconds / handle_seconds
    log_s, queued, answered, answered_wait = _queue_series(x, y)
    # P(wait) = S E / (1 + (S - 1) E) = 1 / (1 + (1/E - 1) / S)
    others = inverse_b - 1.0
    waiting = 1.0 / (1.0 + math.exp(math.log(others) - log_s)) if others > 0 else 1.0
    # answered within t among those who wait: R(y) - e^{y(1 - e^{-theta t}) - theta t (x+1)} R(y e^{-theta t})
    theta_t = answer_seconds / patience_seconds
    exponent = -y * math.expm1(-theta_t) - theta_t * (x + 1)
    late = math.exp(exponent + _log_answered_series(x, y * math.exp(-theta_t)) - log_s)
    in_time = max(0.0, answered - late)
    arrival_rate = traffic / handle_seconds
    abandon = waiting * (1.0 - answered)
    answered_overall = 1.0 - abandon
    answered_wait_overall = waiting * answered_wait * patience_seconds
    return ErlangAFigures(
        agents=agents,
        waiting_probability=waiting,
        abandon_probability=abandon,
        service_level=min(1.0, 1.0 - waiting + waiting * in_time),
        asa_seconds=answered_wait_overall / answered_overall if answered_overall > 0 else math.inf,
        mean_wait_seconds=waiting * queued / arrival_rate,
        occupancy=min(1.0, traffic * answered_overall / agents),
    )


def erlang_a_figures(agents: int, traffic: float, handle_seconds: float, patience_seconds: float,
                     answer_seconds: float) -> ErlangAFigures:
    """Erlang A (M/M/n+M) for `agents`: waiting and abandon probabilities, service level, ASA.

    Arrivals at rate lambda = A / AHT, service at mu = 1 / AHT, patience exponential with
    mean 1 / theta. With x = n mu / theta, y = lambda / theta and the Erlang B E = B(n, A),
    after Garnett, Mandelbaum and Reiman, "Designing a call center with impatient
    customers", Manufacturing & Service Operations Management 4(3), 2002, section 3:

        S = sum_k y^k / ((x+1)...(x+k)) = x e^y y^-x gamma(x, y)     (their A(x, y))
        P(wait)          = S E / (1 + (S - 1) E)
        P(abandon|wait)  = 1 - 1/rho + 1/(rho S),  rho = lambda / (n mu)
        P(answered within t | wait) S = x [G(x+1, y) - e^{y(1-e^{-theta t}) - theta t (x+1)} G(x+1, y e^{-theta t})]

    where G(a, z) = e^z z^-a gamma(a, z) = sum_k z^k / (a(a+1)...(a+k)) (Kummer's series
    of the lower incomplete gamma function). The last line integrates, over the queue a
    contact finds, the density of its virtual wait (hypoexponential, rates n mu + j theta)
    times its chance of still being there, e^{-theta v}. Every sum is taken term by term
    as ratios of neighbours, never as powers over factorials, and rescaled before it
    overflows; the series stop when their terms are below 1e-17 of the sum. As theta
    goes to 0 (infinite patience) the figures tend to Erlang C's.
    """
    agents = _check_agents(agents)
    traffic = _check_number("traffic", traffic)
    handle_seconds = _check_number("handle_seconds", handle_seconds, positive=True)
    patience_seconds = _check_number("patience_seconds", patience_seconds, positive=True)
    answer_seconds = _check_number("answer_seconds", answer_seconds)
    inverse_b = _inverse_erlang_b_table(traffic, agents)[agents] if traffic else math.inf
    return _erlang_a_figures(agents, traffic, handle_seconds, patience_seconds, answer_seconds, inverse_b)


def _first_meeting(meets: Callable[[int], bool], lowest: int, guess: int, highest: int) -> int | None:
    """The smallest n in [lowest, highest] for which the monotone `meets(n)` holds, or None.

    Gallops from `guess` (a step of 1, 2, 4, ... down or up) then halves the bracket:
    near a good guess a handful of evaluations.
    """
    guess = min(max(guess, lowest), highest)
    if meets(guess):
        good, bad, step = guess, lowest - 1, 1
        while good - step > bad:
            if not meets(good - step):
                bad = good - step
                break
            good -= step
            step *= 2
    else:
        bad, step = guess, 1
        while True:
            probe = min(bad + step, highest)
            if meets(probe):
                good = probe
                break
            if probe == highest:
                return None
            bad, step = probe, step * 2
    while good - bad > 1:
        middle = (good + bad) // 2
        if meets(middle):
            good = middle
        else:
            bad = middle
    return good


def agents_needed_erlang_a(traffic: float, handle_seconds: float, patience_seconds: float,
                           target: ServiceTarget, max_agents: int = DEFAULT_MAX_AGENTS) -> int | None:
    """The fewest agents that meet `target` by Erlang A, or None when more than `max_agents` would.

    Starts from Erlang C's answer, which is near, and never looks below level x A agents:
    no fewer can answer that share of the traffic at all.
    """
    traffic = _check_number("traffic", traffic)
    handle_seconds = _check_number("handle_seconds", handle_seconds, positive=True)
    patience_seconds = _check_number("patience_seconds", patience_seconds, positive=True)
    max_agents = _check_agents(max_agents, at_least=0)
    if traffic == 0:
        return 0
    lowest = max(1, math.floor(target.level * traffic))
    if lowest > max_agents:
        return None
    guess = agents_needed_erlang_c(traffic, handle_seconds, target, max_agents) or max_agents
    inverse_b = _inverse_erlang_b_table(traffic, max(guess, lowest))

    def meets(agents: int) -> bool:
        while len(inverse_b) <= agents:
            inverse_b.append(1.0 + inverse_b[-1] * len(inverse_b) / traffic)
        try:
            figures = _erlang_a_figures(agents, traffic, handle_seconds, patience_seconds, target.seconds,
                                        inverse_b[agents])
        except OverloadError:  # so far below the traffic that nothing is answered in time
            return False
        return _meets(target, figures.service_level, figures.asa_seconds, figures.occupancy,
                      figures.abandon_probability)

    return _first_meeting(meets, lowest, guess, max_agents)


# ---------------------------------------------------------------------------------------
# The advice for one queue


@dataclass(frozen=True)
class QueueWindow:
    """What a queue saw over its last `minutes`."""

    minutes: float
    arrivals: int            # contacts that entered the queue
    handled: int             # contacts whose handling ended
    handle_seconds: float    # their handle time, added up (talk, hold and wrap-up)

    def __post_init__(self) -> None:
        _check_number("window minutes", self.minutes, positive=True)
        _check_number("arrivals", self.arrivals)
        _check_number("handled contacts", self.handled)
        _check_number("handle seconds", self.handle_seconds)


class Reason(StrEnum):
    """Why the advice says what it says, for a program to read."""

    SHORT = "short"                    # more agents are needed than are there now
    ENOUGH = "enough"                  # the agents there now meet the target
    NO_TRAFFIC = "no_traffic"          # nothing arrived: no agent needed
    NO_HANDLE_TIME = "no_handle_time"  # contacts arrived but none was handled yet: no AHT to go by
    OVER_CAP = "over_cap"              # more agents than the cap would be needed
    NO_ABANDONS = "no_abandons"        # Erlang A only: no abandon measured, so no patience


@dataclass(frozen=True)
class WindowAdvice:
    minutes: float
    traffic: float                     # Erlangs
    handle_seconds: float              # average handle time used
    needed_erlang_c: int | None        # None when over the cap (or no handle time)
    needed_erlang_a: int | None        # None when over the cap or Erlang A is not available


@dataclass(frozen=True)
class StaffingAdvice:
    target: ServiceTarget
    agents_now: int
    patience_seconds: float | None     # measured: queued wait / abandons; None without abandons
    windows: tuple[WindowAdvice, ...]
    needed_erlang_c: int | None        # the most any window needs
    needed_erlang_a: int | None
    needed: int | None                 # Erlang A's when available, else Erlang C's
    difference: int | None             # needed - agents_now: more agents when positive
    reason: Reason
    erlang_a_reason: Reason | None     # why Erlang A has no figure, when it has none
    max_agents: int


def measured_patience(abandons: int, queued_wait_seconds: float) -> float | None:
    """Mean patience in seconds: total time all queued contacts waited / abandons.

    That is the maximum-likelihood estimate of an exponential patience from waits that
    ended either in an abandon or (cut short) in an answer. None without abandons.
    """
    abandons_ = _check_number("abandons", abandons)
    queued_wait = _check_number("queued wait seconds", queued_wait_seconds)
    if abandons_ == 0:
        return None
    if queued_wait == 0:
        raise ValueError("abandons without any queued wait")
    return queued_wait / abandons_


def advise(windows: Sequence[QueueWindow], target: ServiceTarget, agents_now: int, abandons: int,
           queued_wait_seconds: float, max_agents: int = DEFAULT_MAX_AGENTS) -> StaffingAdvice:
    """How many agents a queue needs for the next interval, against the agents there now.

    Each window gives a traffic (its arrival rate times its AHT; a window where nothing
    was handled borrows the AHT of the longest window that has one). The next interval
    needs what the busiest window needs: the last 15 minutes catch a surge still going
    on, the hour smooths out chance. `agents_now` are those logged into the queue and
    not in Not Ready (ready, busy or in wrap-up); `abandons` and `queued_wait_seconds`
    (the wait of every contact that queued, answered or not) measure the patience.
    """
    if not windows:
        raise ValueError("staffing advice needs at least one window")
    agents_now = _check_agents(agents_now, at_least=0)
    max_agents = _check_agents(max_agents, at_least=0)
    patience = measured_patience(abandons, queued_wait_seconds)
    by_length = sorted(windows, key=lambda window: window.minutes, reverse=True)
    fallback_aht = next((w.handle_seconds / w.handled for w in by_length if w.handled and w.handle_seconds), None)
    arrived = any(window.arrivals for window in windows)
    erlang_a_reason = None if patience is not None else Reason.NO_ABANDONS

    def base(reason: Reason, advice: tuple[WindowAdvice, ...] = ()) -> StaffingAdvice:
        return StaffingAdvice(target, agents_now, patience, advice, None, None, None, None, reason,
                              erlang_a_reason, max_agents)

    if not arrived:
        return StaffingAdvice(target, agents_now, patience, (), 0, 0 if patience else None, 0, -agents_now,
                              Reason.NO_TRAFFIC, erlang_a_reason, max_agents)
    if fallback_aht is None:
        return base(Reason.NO_HANDLE_TIME)

    advice = tuple(_window_advice(window, fallback_aht, patience, target, max_agents) for window in windows)
    over_cap_c = any(w.needed_erlang_c is None for w in advice)
    over_cap_a = patience is not None and any(w.needed_erlang_a is None for w in advice)
    needed_c = None if over_cap_c else max(w.needed_erlang_c or 0 for w in advice)
    needed_a = None if patience is None or over_cap_a else max(w.needed_erlang_a or 0 for w in advice)
    if erlang_a_reason is None and over_cap_a:
        erlang_a_reason = Reason.OVER_CAP
    needed = needed_a if patience is not None else needed_c
    if needed is None:
        return StaffingAdvice(target, agents_now, patience, advice, needed_c, needed_a, None, None,
                              Reason.OVER_CAP, erlang_a_reason, max_agents)
    difference = needed - agents_now
    return StaffingAdvice(target, agents_now, patience, advice, needed_c, needed_a, needed, difference,
                          Reason.SHORT if difference > 0 else Reason.ENOUGH, erlang_a_reason, max_agents)


def _window_advice(window: QueueWindow, fallback_aht: float, patience: float | None, target: ServiceTarget,
                   max_agents: int) -> WindowAdvice:
    aht = window.handle_seconds / window.handled if window.handled and window.handle_seconds else fallback_aht
    traffic = window.arrivals / (window.minutes * 60) * aht
    needed_c = agents_needed_erlang_c(traffic, aht, target, max_agents)
    needed_a = agents_needed_erlang_a(traffic, aht, patience, target, max_agents) if patience else None
    return WindowAdvice(window.minutes, traffic, aht, needed_c, needed_a)


# ---------------------------------------------------------------------------------------
# The sentence a supervisor reads


def _percent(level: float) -> str:
    return f"{level * 100:.1f}".removesuffix(".0")


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f}".removesuffix(".0")


_SENTENCES = {
    "en": {
        "short_one": "+{n} agent needed for {level} % in {seconds} s",
        "short": "+{n} agents needed for {level} % in {seconds} s",
        "exact": "Just enough agents for {level} % in {seconds} s",
        "spare_one": "Enough agents for {level} % in {seconds} s (1 to spare)",
        "spare": "Enough agents for {level} % in {seconds} s ({n} to spare)",
        Reason.NO_TRAFFIC: "No contacts arriving: no agents needed",
        Reason.NO_HANDLE_TIME: "No handle time measured yet: no advice",
        Reason.OVER_CAP: "More than {cap} agents needed for {level} % in {seconds} s",
    },
    "zh_CN": {
        "short_one": "还需 {n} 名坐席才能达到 {seconds} 秒内 {level} %",
        "short": "还需 {n} 名坐席才能达到 {seconds} 秒内 {level} %",
        "exact": "坐席刚好够达到 {seconds} 秒内 {level} %",
        "spare_one": "坐席足够达到 {seconds} 秒内 {level} %（富余 1 名）",
        "spare": "坐席足够达到 {seconds} 秒内 {level} %（富余 {n} 名）",
        Reason.NO_TRAFFIC: "没有联系进入队列：无需坐席",
        Reason.NO_HANDLE_TIME: "尚未测得处理时长：暂无建议",
        Reason.OVER_CAP: "需要超过 {cap} 名坐席才能达到 {seconds} 秒内 {level} %",
    },
}


def advice_sentence(advice: StaffingAdvice, language: str = "en") -> str:
    """The advice in one sentence: "+3 agents needed for 80 % in 20 s" / "还需 3 名坐席才能达到 20 秒内 80 %".

    `language` is "en" or "zh_CN" ("zh" and "zh-CN" too).
    """
    sentences = _SENTENCES.get("zh_CN" if language.replace("-", "_") in ("zh", "zh_CN") else language)
    if sentences is None:
        raise ValueError(f"no staffing sentences in {language!r}")
    values = {"level": _percent(advice.target.level), "seconds": _seconds(advice.target.seconds),
              "cap": advice.max_agents}
    if advice.reason in (Reason.SHORT, Reason.ENOUGH) and advice.difference is not None:
        difference = advice.difference
        key = ("short" if difference > 1 else "short_one") if difference > 0 else (
            "exact" if difference == 0 else "spare_one" if difference == -1 else "spare")
        return sentences[key].format(n=abs(difference), **values)
    return sentences[advice.reason].format(**values)
