"""The console's words in English and Simplified Chinese.

Every text a page shows goes through `translate(language, english)`: the English is the key,
the catalogue below its Chinese. A text missing here shows in English (the test of the
catalogue lists the templates' texts that lack a translation).
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"

ZH = {
    "Cicada console": "Cicada 班长控制台",
    "Sign in": "登录",
    "Sign out": "退出",
    "User name": "用户名",
    "Password": "密码",
    "Sign in with your Cicada account.": "请使用您的 Cicada 账号登录。",
    "Wrong user name or password.": "用户名或密码错误。",
    "Too many failed sign-ins: try again in a few minutes.": "登录失败次数过多，请几分钟后再试。",
    "The CRM database cannot be reached: try again in a moment.": "无法连接 CRM 数据库，请稍后再试。",
    "The console is for supervisors": "控制台仅供班长使用",
    "Your account may not watch agents and queues. Agents work in the Cicada desktop.":
        "您的账号无权监控座席和队列。座席请使用 Cicada 桌面客户端。",
    "Back to sign-in": "返回登录",
    "The form has expired: please try again.": "表单已过期，请重试。",
    "Wallboard": "实时看板",
    "Phone queues": "电话队列",
    "Agents": "座席",
    "Queue": "队列",
    "Waiting": "排队中",
    "Longest wait": "最长等待",
    "Staffed": "在岗",
    "Ready": "就绪",
    "Busy": "通话中",
    "Wrap-up": "话后处理",
    "Not ready": "未就绪",
    "Offered": "振铃中",
    "Logged out": "已登出",
    "Agent": "座席",
    "Work mode": "工作状态",
    "Reason": "原因",
    "In mode for": "持续时间",
    "Current call": "当前通话",
    "Live": "实时",
    "Connecting to the CTI gateway…": "正在连接 CTI 网关…",
    "The CTI gateway cannot be reached: no figure here is live. The wallboard catches up as soon as it answers.":
        "无法连接 CTI 网关：此处没有实时数据。网关恢复后看板会自动更新。",
    "The console's connection is lost; reconnecting…": "与控制台的连接已断开，正在重新连接…",
    "No queue.": "没有队列。",
    "No agent logged in.": "没有已登录的座席。",
    "Full screen": "全屏",
    "Signed in as": "当前用户",
    # queue figures, staffing advice and alerts
    "Alerts": "告警",
    "Queue figures and staffing advice": "队列数据与人力建议",
    "No active alert.": "当前没有告警。",
    "Today": "今日",
    "Last {n} min": "最近 {n} 分钟",
    "Entered": "进线",
    "Answered": "接听",
    "Abandoned": "放弃",
    "Service level": "服务水平",
    "ASA": "平均应答时间",
    "AHT": "平均处理时长",
    "Cicada alert": "Cicada 告警",
    "{queue}: a caller has waited over {threshold} s": "{queue}：有来电等待超过 {threshold} 秒",
    "{queue}: more than {threshold} callers waiting": "{queue}：排队来电超过 {threshold} 个",
    "{queue}: service level today under {threshold} %": "{queue}：今日服务水平低于 {threshold} %",
    "{agent}: not ready ({reason}) over {minutes} min": "{agent}：未就绪（{reason}）超过 {minutes} 分钟",
    "The alerts of your queues and agents, newest first.": "您的队列和座席的告警，最新的在前。",
    "{value} s": "{value} 秒",
    "{value} min": "{value} 分钟",
    "{value} %": "{value} %",
    "Alert": "告警",
    "Started": "开始",
    "Ended": "结束",
    "Worst": "最差值",
    "Still active": "仍在持续",
    "No alert yet.": "还没有告警。",
}

CATALOGUES = {"zh": ZH}


def language_of(value: str | None) -> str:
    """One of LANGUAGES for a CRM user's language or a browser's ("zh-CN", "zh", "en-GB")."""
    value = (value or "").strip().lower()
    for language in LANGUAGES:
        if value == language or value.startswith(language + "-") or value.startswith(language + "_"):
            return language
    return DEFAULT


def from_accept_language(header: str | None) -> str:
    """The first language of an Accept-Language header the console speaks."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.split("-")[0] in LANGUAGES:
            return language_of(tag)
    return DEFAULT


def translate(language: str, text: str) -> str:
    return CATALOGUES.get(language, {}).get(text, text)
