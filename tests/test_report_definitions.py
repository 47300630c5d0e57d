"""The figures' definitions (crm/reports/definitions.py) on hand-computed cases.

One data set where the three service-level variants differ (T = 20 s, τ = 5 s):

| contact | outcome   | after | handle | notes                                  |
| ------- | --------- | ----- | ------ | -------------------------------------- |
| 1       | answered  | 10    | 100    | within T                               |
| 2       | answered  | 30    | 200    | over T                                 |
| 3       | answered  | 20    | (none) | exactly T: within; still in wrap-up    |
| 4       | abandoned | 3     |        | short                                  |
| 5       | abandoned | 5     |        | exactly τ: short                       |
| 6       | abandoned | 15    |        | within T, not short                    |
| 7       | abandoned | 40    |        | over T                                 |
| 8       | left      | 60    |        | overflowed                             |
| 9       | waiting   |       |        | has not left the queue                 |

entered 9, answered 3, abandoned 4, short abandons 2, left the queue 8, answered within T 2,
abandoned within T 3.
"""

from __future__ import annotations

import pytest

from crm.reports import definitions as d
from crm.reports.definitions import QueueContact, QueueThresholds, ServiceLevelVariant

T, TAU = 20.0, 5.0

DAY = [
    QueueContact(100.0, "answered", 10.0, 100.0),
    QueueContact(110.0, "answered", 30.0, 200.0),
    QueueContact(120.0, "answered", 20.0, None),
    QueueContact(130.0, "abandoned", 3.0),
    QueueContact(140.0, "abandoned", 5.0),
    QueueContact(150.0, "abandoned", 15.0),
    QueueContact(160.0, "abandoned", 40.0),
    QueueContact(170.0, "left", 60.0),
    QueueContact(180.0),
]


def test_counts():
    assert d.entered(DAY) == 9
    assert d.answered(DAY) == 3
    assert d.abandoned(DAY) == 4
    assert d.left_otherwise(DAY) == 1
    assert d.left_queue(DAY) == 8
    assert d.short_abandons(DAY, TAU) == 2  # 3 s and exactly 5 s
    assert d.answered_within(DAY, T) == 2  # 10 s and exactly 20 s
    assert d.abandoned_within(DAY, T) == 3
    assert d.handled(DAY) == 2  # the third answered is still in wrap-up


def test_the_three_service_level_variants_differ_on_one_day():
    assert d.service_level_abandons_against(DAY, T, TAU) == pytest.approx(2 / 6)
    assert d.service_level_abandons_within_ignored(DAY, T) == pytest.approx(2 / 5)
    assert d.service_level_abandons_within_for(DAY, T, TAU) == pytest.approx((2 + 3 - 2) / 6)
    assert d.service_level_answered_only(DAY, T) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("variant", "expected"), [
    (ServiceLevelVariant.ABANDONS_AGAINST, 2 / 6),
    (ServiceLevelVariant.ABANDONS_WITHIN_IGNORED, 2 / 5),
    (ServiceLevelVariant.ABANDONS_WITHIN_FOR, 3 / 6),
])
def test_the_queue_s_variant_is_the_one_used(variant, expected):
    assert d.service_level(DAY, QueueThresholds(T, TAU, variant)) == pytest.approx(expected)


def test_averages_and_rates():
    assert d.asa(DAY) == pytest.approx((10 + 30 + 20) / 3)
    assert d.aht(DAY) == pytest.approx((100 + 200) / 2)
    assert d.abandonment_rate(DAY, TAU) == pytest.approx((4 - 2) / (9 - 2))
    assert d.longest_wait(DAY) == 60.0


def test_a_longer_short_abandon_threshold_moves_abandons_out_of_every_ratio():
    assert d.short_abandons(DAY, 15.0) == 3
    assert d.service_level_abandons_against(DAY, T, 15.0) == pytest.approx(2 / 5)
    assert d.abandonment_rate(DAY, 15.0) == pytest.approx(1 / 6)


def test_an_empty_interval_counts_nothing_and_measures_nothing():
    figures = d.queue_figures([], QueueThresholds())
    assert (figures.entered, figures.answered, figures.abandoned, figures.short_abandons, figures.handled) == (
        0, 0, 0, 0, 0)
    assert figures.asa is figures.aht is figures.service_level is figures.abandonment_rate is None
    assert figures.service_level_answered_only is figures.longest_wait is None


def test_only_waiting_contacts_have_no_service_level_yet():
    waiting = [QueueContact(1.0), QueueContact(2.0)]
    assert d.entered(waiting) == 2
    assert d.service_level(waiting, QueueThresholds()) is None
    assert d.abandonment_rate(waiting, TAU) == 0.0


def test_only_short_abandons_leave_no_denominator():
    short = [QueueContact(1.0, "abandoned", 1.0), QueueContact(2.0, "abandoned", 4.0)]
    assert d.service_level_abandons_against(short, T, TAU) is None
    assert d.service_level_abandons_within_for(short, T, TAU) is None
    assert d.service_level_abandons_within_ignored(short, T) is None
    assert d.abandonment_rate(short, TAU) is None


def test_a_contact_belongs_to_the_interval_it_entered_in():
    assert [c.entered_at for c in d.entered_in(DAY, 110.0, 140.0)] == [110.0, 120.0, 130.0]
    assert d.entered_in(DAY, 200.0, 300.0) == []


def test_all_figures_at_once_match_the_functions():
    figures = d.queue_figures(DAY, QueueThresholds(T, TAU, ServiceLevelVariant.ABANDONS_WITHIN_FOR))
    assert figures.entered == 9 and figures.short_abandons == 2 and figures.left_otherwise == 1
    assert figures.answered_within == 2
    assert figures.service_level == pytest.approx(0.5)
    assert figures.service_level_answered_only == pytest.approx(2 / 3)
    assert figures.asa == pytest.approx(20.0) and figures.aht == pytest.approx(150.0)


def test_occupancy_and_utilization():
    assert d.occupancy(30.0, 10.0) == pytest.approx(0.75)
    assert d.utilization(30.0, 60.0) == pytest.approx(0.5)
    assert d.occupancy(0.0, 0.0) is None
    assert d.utilization(0.0, 0.0) is None


def test_overflowed_transfers_and_the_wait_distribution_at_its_bounds():
    contacts = [
        QueueContact(0.0, "answered", 15.0, transferred=True),  # exactly 15 s: the first bucket
        QueueContact(0.0, "answered", 15.5),
        QueueContact(0.0, "answered", 600.0),
        QueueContact(0.0, "answered", 600.5),  # over the last bound
        QueueContact(0.0, "abandoned", 20.0),
        QueueContact(0.0, "left", 60.0, left_by="overflowed"),
        QueueContact(0.0, "left", 300.0, left_by="ended"),
        QueueContact(0.0),
    ]
    assert (d.overflowed(contacts), d.left_otherwise(contacts), d.transfers(contacts)) == (1, 2, 1)
    assert d.wait_distribution(contacts, "answered") == [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert d.wait_distribution(contacts, "abandoned") == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert len(d.WAIT_BUCKETS) == 10
