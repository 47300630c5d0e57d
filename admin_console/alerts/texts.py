"""How an alert reads, in the page's words: the page's script and the Alerts page fill these in."""

from __future__ import annotations

from admin_console.alerts.monitor import LONGEST_WAIT, NOT_READY, SERVICE_LEVEL, WAITING

ALERT_TEXTS = {
    LONGEST_WAIT: "{queue}: a caller has waited over {threshold} s",
    WAITING: "{queue}: more than {threshold} callers waiting",
    SERVICE_LEVEL: "{queue}: service level today under {threshold} %",
    NOT_READY: "{agent}: not ready ({reason}) over {minutes} min",
}

# how the worst value an alert reached reads, by kind (callers are a bare number)
WORST_TEXTS = {LONGEST_WAIT: "{value} s", SERVICE_LEVEL: "{value} %", NOT_READY: "{value} min"}


def number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def alert_text(translate, alert: dict, agent_names: dict[str, str]) -> str:
    """`translate` turns the English into the page's language."""
    return translate(ALERT_TEXTS[alert["kind"]]).format(
        queue=alert["queue"] or "", agent=agent_names.get(alert["agent"] or "", alert["agent"] or ""),
        reason=alert["reason"] or "", threshold=number(alert["threshold"]),
        minutes=number(alert["threshold"] / 60))


def worst_text(translate, alert: dict) -> str:
    value = alert["value"] / 60 if alert["kind"] == NOT_READY else alert["value"]
    return translate(WORST_TEXTS.get(alert["kind"], "{value}")).format(value=number(value))
