"""How an alert reads, in the page's words: the page's script and the Alerts page fill these in."""

from __future__ import annotations

from admin_console.alerts.book import LONGEST_WAIT, NOT_READY, SERVICE_LEVEL, WAITING, WITHIN_DUE, mail_kind

ALERT_TEXTS = {
    LONGEST_WAIT: "{queue}: a caller has waited over {threshold} s",
    WAITING: "{queue}: more than {threshold} callers waiting",
    SERVICE_LEVEL: "{queue}: service level today under {threshold} %",
    NOT_READY: "{agent}: not ready ({reason}) over {minutes} min",
    # the email and chat queues' (alerts/mail.py); an email waits minutes, a chat seconds
    mail_kind("email", LONGEST_WAIT): "{queue}: an email has waited over {wait}",
    mail_kind("email", WAITING): "{queue}: more than {threshold} emails waiting",
    mail_kind("email", WITHIN_DUE): "{queue}: emails answered within due time today under {threshold} %",
    mail_kind("chat", LONGEST_WAIT): "{queue}: a chat has waited over {wait}",
    mail_kind("chat", WAITING): "{queue}: more than {threshold} chats waiting",
    mail_kind("chat", WITHIN_DUE): "{queue}: chats answered within due time today under {threshold} %",
}

# how the worst value an alert reached reads, by kind (contacts are a bare number; an email or
# chat's wait as `wait_text` says)
WORST_TEXTS = {LONGEST_WAIT: "{value} s", SERVICE_LEVEL: "{value} %", NOT_READY: "{value} min",
               mail_kind("email", WITHIN_DUE): "{value} %", mail_kind("chat", WITHIN_DUE): "{value} %"}
MAIL_WAITS = {mail_kind("email", LONGEST_WAIT), mail_kind("chat", LONGEST_WAIT)}
SECONDS, MINUTES = "{value} s", "{value} min"


def number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def wait_text(translate, seconds: float) -> str:
    """An email's or a chat's wait: in minutes from a minute on (an email waits hours), else in seconds."""
    return translate(MINUTES).format(value=number(seconds / 60)) if seconds >= 60 \
        else translate(SECONDS).format(value=number(seconds))


def alert_text(translate, alert: dict, agent_names: dict[str, str]) -> str:
    """`translate` turns the English into the page's language."""
    return translate(ALERT_TEXTS[alert["kind"]]).format(
        queue=alert["queue"] or "", agent=agent_names.get(alert["agent"] or "", alert["agent"] or ""),
        reason=alert["reason"] or "", threshold=number(alert["threshold"]),
        minutes=number(alert["threshold"] / 60), wait=wait_text(translate, alert["threshold"]))


def worst_text(translate, alert: dict) -> str:
    if alert["kind"] in MAIL_WAITS:
        return wait_text(translate, alert["value"])
    value = alert["value"] / 60 if alert["kind"] == NOT_READY else alert["value"]
    return translate(WORST_TEXTS.get(alert["kind"], "{value}")).format(value=number(value))
