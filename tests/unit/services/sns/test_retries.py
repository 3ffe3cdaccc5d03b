"""Delivery policies: HTTP retries follow the healthyRetryPolicy's phases in AWS's order;
the default is three retries 20 s apart; a topic's policy applies when the subscription has
none."""

from __future__ import annotations

import json

from lamina.services.sns import retries


def test_the_default_is_three_retries_twenty_seconds_apart() -> None:
    """No policy anywhere: SNS's default healthy retry policy."""
    assert retries.http_delays(None, None) == [20.0, 20.0, 20.0]


def test_phases_run_in_order() -> None:
    """No-delay retries, then min-delay ones, then the backoff from min to max, then max."""
    policy = {
        "numRetries": 8,
        "numNoDelayRetries": 1,
        "numMinDelayRetries": 2,
        "numMaxDelayRetries": 1,
        "minDelayTarget": 2,
        "maxDelayTarget": 10,
        "backoffFunction": "linear",
    }
    # The backoff phase (four retries) spans min to max inclusive.
    assert retries.schedule(policy) == [0.0, 2.0, 2.0, 2.0, 4.667, 7.333, 10.0, 10.0]


def test_exponential_backoff_grows_by_a_constant_factor() -> None:
    """An exponential backoff from 1 to 16 over five retries doubles each time."""
    delays = retries.schedule(
        {
            "numRetries": 5,
            "minDelayTarget": 1,
            "maxDelayTarget": 16,
            "backoffFunction": "exponential",
        }
    )
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_the_subscriptions_policy_wins_over_the_topics() -> None:
    """The subscription's healthyRetryPolicy, else the topic's http.defaultHealthyRetryPolicy."""
    topic = json.dumps(
        {
            "http": {
                "defaultHealthyRetryPolicy": {
                    "numRetries": 1,
                    "minDelayTarget": 5,
                    "maxDelayTarget": 5,
                }
            }
        }
    )
    subscription = json.dumps(
        {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    )
    assert retries.http_delays(None, topic) == [5.0]
    assert retries.http_delays(subscription, topic) == [1.0, 1.0]
