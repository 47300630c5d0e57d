"""Staffing advice arithmetic: Erlang B, C and A, the agents needed, the advice and its sentence.

Erlang C is checked against the published values the issue quotes; Erlang A against a
brute-force solution of its birth-death chain and of a waiting contact's own chain,
computed here step by step, and against Erlang C as patience grows without bound.
"""

from __future__ import annotations

import math

import pytest

from admin_console.staffing import (
    QueueWindow,
    Reason,
    ServiceTarget,
    advice_sentence,
    advise,
    agents_needed_erlang_a,
    agents_needed_erlang_c,
    erlang_a_figures,
    erlang_b,
    erlang_c,
    erlang_c_figures,
    measured_patience,
)

TARGET = ServiceTarget(level=0.8, seconds=20)


# --- Erlang B and C ---------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "waiting", "service_level", "asa"), [
    (13, 0.2853, 0.7956, 17.1),
    (14, None, 0.8884, 7.8),
    (15, None, 0.9415, 3.7),
])
def test_erlang_c_known_values_for_10_erlangs(agents, waiting, service_level, asa):
    figures = erlang_c_figures(agents, traffic=10, handle_seconds=180, answer_seconds=20)
    if waiting is not None:
        assert round(figures.waiting_probability, 4) == waiting
    assert round(figures.service_level, 4) == service_level
    assert round(figures.asa_seconds, 1) == asa
    assert figures.occupancy == pytest.approx(10 / agents)


def test_erlang_c_known_value_for_200_erlangs():
    assert round(erlang_c_figures(215, 200, 180, 20).service_level, 3) == 0.960


def test_erlang_b_small_values_by_the_formula():
    # B(n, A) = (A^n / n!) / sum_k A^k / k!, fine to compute directly for small n
    for agents, traffic in [(1, 1.0), (5, 3.0), (10, 7.5)]:
        direct = traffic ** agents / math.factorial(agents) / sum(
            traffic ** k / math.factorial(k) for k in range(agents + 1))
        assert erlang_b(agents, traffic) == pytest.approx(direct, rel=1e-12)
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(3, 0) == 0.0


def test_erlang_b_and_c_stay_exact_for_large_queues():
    # far beyond what factorials or powers could hold in a float
    assert 0 < erlang_b(5000, 4800.0) < 1
    assert 0 < erlang_c(5000, 4800.0) < 1
    assert erlang_c(5000, 100.0) == 0.0           # the recursion overflows only to "no wait"
    assert erlang_c(100, 100.0) == 1.0            # agents that cannot keep up: everyone waits
    assert erlang_c_figures(100, 120.0, 180, 20).asa_seconds == math.inf


def test_agents_needed_erlang_c():
    assert agents_needed_erlang_c(10, 180, TARGET) == 14
    assert agents_needed_erlang_c(200, 180, ServiceTarget(0.96, 20)) == 215
    assert agents_needed_erlang_c(0, 180, TARGET) == 0
    # the caps only ever add agents
    assert agents_needed_erlang_c(10, 180, ServiceTarget(0.8, 20, max_asa_seconds=5)) == 15
    assert agents_needed_erlang_c(10, 180, ServiceTarget(0.8, 20, max_occupancy=0.65)) == 16


def test_agents_needed_erlang_c_over_the_cap():
    assert agents_needed_erlang_c(1000, 180, TARGET, max_agents=1000) is None
    assert agents_needed_erlang_c(1000, 180, TARGET, max_agents=1011) == 1011


def test_erlang_c_monotone_in_agents_and_traffic():
    levels = [erlang_c_figures(n, 50, 240, 30).service_level for n in range(51, 80)]
    assert levels == sorted(levels)
    asas = [erlang_c_figures(n, 50, 240, 30).asa_seconds for n in range(51, 80)]
    assert asas == sorted(asas, reverse=True)
    needed = [agents_needed_erlang_c(traffic, 240, TARGET) for traffic in range(1, 400, 7)]
    assert needed == sorted(needed)


# --- Erlang A ---------------------------------------------------------------------------


def _brute_force_erlang_a(agents, traffic, handle, patience, answer_seconds):
    """Erlang A from its birth-death chain, truncated where the probabilities vanish, and
    from a waiting contact's own chain (its place in the queue), integrated step by step."""
    mu, theta = 1 / handle, 1 / patience
    arrival = traffic * mu
    weights = [1.0]
    while True:
        state = len(weights)
        weights.append(weights[-1] * arrival / (min(state, agents) * mu + max(state - agents, 0) * theta))
        if state > agents + 20 and weights[-1] < 1e-18 * sum(weights):
            break
    total = sum(weights)
    p = [w / total for w in weights]
    queued = p[agents:]                      # an arrival finds k = 0, 1, ... ahead (PASTA)
    waiting = sum(queued)
    mean_queue = sum(k * q for k, q in enumerate(queued))
    abandon = theta * mean_queue / arrival

    # first-step analysis: answered with probability a_j and answered wait m_j from j ahead
    answered, answered_wait = [], []
    for j in range(len(queued)):
        leave = agents * mu + (j + 1) * theta
        move = (agents * mu + j * theta) / leave
        answered.append(move * (answered[-1] if j else 1.0))
        answered_wait.append(answered[-1] / leave + move * (answered_wait[-1] if j else 0.0))

    # P(answered by t | j ahead): forward equations of the waiting contact's chain, RK4
    def derivative(state):
        *ahead, _ = state
        change = [0.0] * len(state)
        for j, mass in enumerate(ahead):
            change[j] -= (agents * mu + (j + 1) * theta) * mass
            if j:
                change[j - 1] += (agents * mu + j * theta) * mass
        change[-1] = agents * mu * ahead[0]
        return change

    in_time = 0.0
    steps = 4000
    dt = answer_seconds / steps
    state = [q / waiting for q in queued] + [0.0] if waiting else []
    for _ in range(steps if waiting else 0):
        k1 = derivative(state)
        k2 = derivative([s + dt / 2 * d for s, d in zip(state, k1)])
        k3 = derivative([s + dt / 2 * d for s, d in zip(state, k2)])
        k4 = derivative([s + dt * d for s, d in zip(state, k3)])
        state = [s + dt / 6 * (a + 2 * b + 2 * c + d) for s, a, b, c, d in zip(state, k1, k2, k3, k4)]
    if waiting:
        in_time = state[-1]
    answered_all = 1 - waiting + sum(q * a for q, a in zip(queued, answered))
    return {
        "waiting_probability": waiting,
        "abandon_probability": abandon,
        "service_level": 1 - waiting + waiting * in_time,
        "asa_seconds": sum(q * m for q, m in zip(queued, answered_wait)) / answered_all,
        "mean_wait_seconds": mean_queue / arrival,
        "answered": answered_all,
    }


@pytest.mark.parametrize(("agents", "traffic", "handle", "patience"), [
    (13, 10.0, 180, 60),     # a calm queue, impatient callers
    (14, 10.0, 180, 600),    # patient callers
    (8, 10.0, 180, 120),     # fewer agents than the traffic: the abandons keep the queue finite
    (3, 2.5, 300, 30),       # a small team
    (1, 0.5, 120, 200),      # one agent
])
def test_erlang_a_matches_the_brute_force_chain(agents, traffic, handle, patience):
    figures = erlang_a_figures(agents, traffic, handle, patience, answer_seconds=20)
    expected = _brute_force_erlang_a(agents, traffic, handle, patience, answer_seconds=20)
    for name in ("waiting_probability", "abandon_probability", "service_level", "asa_seconds", "mean_wait_seconds"):
        assert getattr(figures, name) == pytest.approx(expected[name], rel=1e-6, abs=1e-9), name
    assert figures.occupancy == pytest.approx(traffic * expected["answered"] / agents, rel=1e-9)
    # with exponential patience the abandons are theta times the mean wait (Little)
    assert figures.abandon_probability == pytest.approx(figures.mean_wait_seconds / patience, rel=1e-9)


@pytest.mark.parametrize("agents", [13, 14, 15])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(agents):
    erlang_c_ = erlang_c_figures(agents, 10, 180, 20)
    previous_gap = math.inf
    for patience in (1e3, 1e5, 1e7, 1e9):
        figures = erlang_a_figures(agents, 10, 180, patience, 20)
        gap = abs(figures.service_level - erlang_c_.service_level)
        assert gap < previous_gap
        previous_gap = gap
    assert figures.waiting_probability == pytest.approx(erlang_c_.waiting_probability, rel=1e-6)
    assert figures.service_level == pytest.approx(erlang_c_.service_level, rel=1e-6)
    assert figures.asa_seconds == pytest.approx(erlang_c_.asa_seconds, rel=1e-6)
    assert figures.abandon_probability < 1e-7


def test_erlang_a_stays_finite_for_large_and_overloaded_queues():
    for agents, traffic, patience in [(1000, 1000.0, 600), (800, 1000.0, 3600), (5000, 4900.0, 120), (50, 400.0, 60)]:
        figures = erlang_a_figures(agents, traffic, 180, patience, 20)
        for value in (figures.waiting_probability, figures.abandon_probability, figures.service_level,
                      figures.asa_seconds, figures.occupancy):
            assert math.isfinite(value) and value >= 0
        assert 0 <= figures.service_level <= 1 and figures.occupancy <= 1
    # hopelessly short: nearly everyone waits, most abandon, and the answered share is what n agents take
    figures = erlang_a_figures(50, 400.0, 180, 60, 20)
    assert figures.waiting_probability > 0.999
    assert figures.abandon_probability == pytest.approx(1 - 50 / 400, rel=1e-3)
    # a queue that would hold millions: a clear error, and the search passes over it
    with pytest.raises(ValueError, match="overloaded"):
        erlang_a_figures(800, 1000.0, 180, 1e9, 20)
    assert agents_needed_erlang_a(1000, 180, 1e9, ServiceTarget(0.8, 20, max_asa_seconds=1)) == \
        agents_needed_erlang_c(1000, 180, ServiceTarget(0.8, 20, max_asa_seconds=1))


def test_erlang_a_monotone_in_agents():
    figures = [erlang_a_figures(n, 40, 200, 90, 20) for n in range(30, 60)]
    levels = [f.service_level for f in figures]
    abandons = [f.abandon_probability for f in figures]
    asas = [f.asa_seconds for f in figures]
    assert levels == sorted(levels)
    assert abandons == sorted(abandons, reverse=True)
    assert asas == sorted(asas, reverse=True)


def test_agents_needed_erlang_a():
    needed = agents_needed_erlang_a(10, 180, 60, TARGET)
    assert erlang_a_figures(needed, 10, 180, 60, 20).service_level >= 0.8
    assert erlang_a_figures(needed - 1, 10, 180, 60, 20).service_level < 0.8
    # patient callers need what Erlang C says; impatient ones fewer (those who hang up leave room)
    assert agents_needed_erlang_a(10, 180, 1e9, TARGET) == 14
    assert agents_needed_erlang_a(1000, 180, 1e9, TARGET) == agents_needed_erlang_c(1000, 180, TARGET) == 1011
    assert agents_needed_erlang_a(1000, 180, 120, TARGET) < 1011
    # a cap on abandons brings back agents
    capped = agents_needed_erlang_a(1000, 180, 30, ServiceTarget(0.8, 20, max_abandon=0.02))
    assert capped > agents_needed_erlang_a(1000, 180, 30, TARGET)
    assert erlang_a_figures(capped, 1000, 180, 30, 20).abandon_probability <= 0.02
    assert agents_needed_erlang_a(0, 180, 60, TARGET) == 0
    assert agents_needed_erlang_a(1000, 180, 120, TARGET, max_agents=500) is None


@pytest.mark.parametrize(("traffic", "patience"), [(3.3, 45), (27.0, 200), (150.0, 20)])
def test_agents_needed_erlang_a_is_the_first_that_meets_the_target(traffic, patience):
    needed = agents_needed_erlang_a(traffic, 240, patience, ServiceTarget(0.9, 15, max_asa_seconds=8))

    def meets(n):
        f = erlang_a_figures(n, traffic, 240, patience, 15)
        return f.service_level >= 0.9 and f.asa_seconds <= 8

    assert meets(needed) and not meets(needed - 1)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda: erlang_b(5, -1.0),
    lambda: erlang_b(-1, 5.0),
    lambda: erlang_c(5, float("nan")),
    lambda: erlang_c(2.5, 1.0),
    lambda: erlang_c(0, 1.0),
    lambda: erlang_c_figures(5, 1.0, 0, 20),
    lambda: erlang_c_figures(5, 1.0, 180, -1),
    lambda: erlang_a_figures(5, 1.0, 180, 0, 20),
    lambda: erlang_a_figures(5, 1.0, 180, float("inf"), 20),
    lambda: agents_needed_erlang_c(float("nan"), 180, TARGET),
    lambda: ServiceTarget(1.0, 20),
    lambda: ServiceTarget(0.8, -20),
    lambda: ServiceTarget(float("nan"), 20),
    lambda: ServiceTarget(0.8, 20, max_occupancy=1.5),
    lambda: QueueWindow(15, -1, 0, 0),
    lambda: QueueWindow(0, 1, 0, 0),
    lambda: QueueWindow(15, 10, 5, float("nan")),
    lambda: measured_patience(-1, 100),
    lambda: measured_patience(3, 0),
    lambda: advise([], TARGET, 3, 0, 0),
    lambda: advise([QueueWindow(15, 10, 10, 1800)], TARGET, -1, 0, 0),
])
def test_bad_input_is_a_clear_value_error(call):
    with pytest.raises(ValueError):
        call()


# --- the advice for a queue -------------------------------------------------------------


def _windows(per_15_min, aht=180.0):
    """Windows of a queue receiving `per_15_min` contacts every 15 minutes, all handled."""
    return [QueueWindow(minutes, per_15_min * minutes // 15, per_15_min * minutes // 15,
                        per_15_min * minutes // 15 * aht) for minutes in (15, 30, 60)]


def test_advice_short_of_agents():
    # 500 contacts in 15 minutes at 180 s is 100 Erlangs
    advice = advise(_windows(500), TARGET, agents_now=80, abandons=40, queued_wait_seconds=40 * 90)
    assert advice.patience_seconds == 90
    assert advice.needed_erlang_c == agents_needed_erlang_c(100, 180, TARGET)
    assert advice.needed_erlang_a == agents_needed_erlang_a(100, 180, 90, TARGET)
    assert advice.needed == advice.needed_erlang_a < advice.needed_erlang_c
    assert advice.difference == advice.needed - 80 > 0
    assert advice.reason is Reason.SHORT and advice.erlang_a_reason is None
    assert [w.minutes for w in advice.windows] == [15, 30, 60]
    assert advice.windows[0].traffic == pytest.approx(100)


def test_advice_follows_the_busiest_window():
    windows = [QueueWindow(15, 100, 100, 18000), QueueWindow(30, 150, 150, 27000), QueueWindow(60, 240, 240, 43200)]
    advice = advise(windows, TARGET, agents_now=30, abandons=0, queued_wait_seconds=500)
    assert [round(w.traffic, 3) for w in advice.windows] == [20, 15, 12]
    assert advice.needed_erlang_c == agents_needed_erlang_c(20, 180, TARGET)


def test_advice_without_abandons_has_no_erlang_a():
    advice = advise(_windows(50), TARGET, agents_now=20, abandons=0, queued_wait_seconds=300)
    assert advice.patience_seconds is None and advice.needed_erlang_a is None
    assert advice.erlang_a_reason is Reason.NO_ABANDONS
    assert advice.needed == advice.needed_erlang_c == 14
    assert advice.difference == -6 and advice.reason is Reason.ENOUGH


def test_advice_without_traffic_needs_nobody():
    advice = advise([QueueWindow(15, 0, 0, 0), QueueWindow(60, 0, 3, 540)], TARGET, agents_now=4,
                    abandons=0, queued_wait_seconds=0)
    assert advice.reason is Reason.NO_TRAFFIC and advice.needed == 0 and advice.difference == -4


def test_advice_without_any_handle_time():
    advice = advise([QueueWindow(15, 12, 0, 0)], TARGET, agents_now=4, abandons=0, queued_wait_seconds=0)
    assert advice.reason is Reason.NO_HANDLE_TIME and advice.needed is None


def test_advice_borrows_the_handle_time_of_a_longer_window():
    windows = [QueueWindow(15, 50, 0, 0), QueueWindow(60, 200, 180, 180 * 200)]
    advice = advise(windows, TARGET, agents_now=10, abandons=0, queued_wait_seconds=0)
    assert advice.windows[0].handle_seconds == 200 and advice.windows[0].traffic == pytest.approx(50 * 200 / 900)


def test_advice_over_the_cap():
    advice = advise(_windows(5000), TARGET, agents_now=200, abandons=0, queued_wait_seconds=0, max_agents=500)
    assert advice.reason is Reason.OVER_CAP and advice.needed is None and advice.difference is None


# --- the sentence -----------------------------------------------------------------------


def test_sentences_in_english_and_chinese():
    short = advise(_windows(50), TARGET, agents_now=11, abandons=0, queued_wait_seconds=0)
    assert short.difference == 3
    assert advice_sentence(short) == "+3 agents needed for 80 % in 20 s"
    assert advice_sentence(short, "zh_CN") == "还需 3 名坐席才能达到 20 秒内 80 %"
    one = advise(_windows(50), TARGET, agents_now=13, abandons=0, queued_wait_seconds=0)
    assert advice_sentence(one) == "+1 agent needed for 80 % in 20 s"
    exact = advise(_windows(50), TARGET, agents_now=14, abandons=0, queued_wait_seconds=0)
    assert advice_sentence(exact) == "Just enough agents for 80 % in 20 s"
    assert advice_sentence(exact, "zh") == "坐席刚好够达到 20 秒内 80 %"
    spare = advise(_windows(50), ServiceTarget(0.955, 15.5), agents_now=30, abandons=0, queued_wait_seconds=0)
    assert advice_sentence(spare).startswith("Enough agents for 95.5 % in 15.5 s (")
    assert advice_sentence(spare, "zh-CN").startswith("坐席足够达到 15.5 秒内 95.5 %（富余 ")


def test_sentences_for_the_edge_cases():
    quiet = advise([QueueWindow(15, 0, 0, 0)], TARGET, 2, 0, 0)
    assert advice_sentence(quiet) == "No contacts arriving: no agents needed"
    assert advice_sentence(quiet, "zh_CN") == "没有联系进入队列：无需坐席"
    unknown = advise([QueueWindow(15, 5, 0, 0)], TARGET, 2, 0, 0)
    assert advice_sentence(unknown) == "No handle time measured yet: no advice"
    assert advice_sentence(unknown, "zh_CN") == "尚未测得处理时长：暂无建议"
    over = advise(_windows(5000), TARGET, 200, 0, 0, max_agents=500)
    assert advice_sentence(over) == "More than 500 agents needed for 80 % in 20 s"
    assert advice_sentence(over, "zh_CN") == "需要超过 500 名坐席才能达到 20 秒内 80 %"
    with pytest.raises(ValueError):
        advice_sentence(over, "fr")
