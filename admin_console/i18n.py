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
    # acting on agents (admin_console/actions)
    "Actions": "操作",
    "Supervisors' actions": "班长操作记录",
    "When": "时间",
    "Supervisor": "班长",
    "Action": "操作",
    "Agent or queue": "座席或队列",
    "Reason or message": "原因或消息",
    "Outcome": "结果",
    "All my agents": "我的全部座席",
    "Refused": "被拒绝",
    "No action yet.": "暂无操作。",
    "Newer": "较新",
    "Older": "较早",
    "Page": "页",
    "Done": "已完成",
    "When the call ends": "通话结束后生效",
    "Log off": "登出",
    "Message": "消息",
    "Not ready…": "设为未就绪…",
    "Message…": "发送消息…",
    "Message to my agents…": "向我的座席发送消息…",
    "Send": "发送",
    "Cancel": "取消",
    "Log off {agent} (after the current call, if any)?": "将 {agent} 登出（如正在通话，则在通话结束后）？",
    "Set {agent} Not ready": "将 {agent} 设为未就绪",
    "Message to {agent}": "发送消息给 {agent}",
    "Message to queue {queue}": "发送消息给队列 {queue}",
    "Message to all the agents of my org units": "发送消息给我所辖组织单元的全部座席",
    "Working…": "处理中…",
    "To": "发送给",
    "Team {team}": "团队 {team}",
    "Team": "团队",
    "Your session has ended: please sign in again.": "您的会话已结束，请重新登录。",
    "Refused: this agent is not in your org units.": "已拒绝：该座席不在您所辖的组织单元内。",
    "Refused: the agent is not logged in (he may have logged off meanwhile).": "已拒绝：该座席未登录（可能刚刚已登出）。",
    "Refused: the gateway does not take this value (an unknown reason, or an empty or too long message).":
        "已拒绝：网关不接受该值（未知的原因，或消息为空或过长）。",
    "Refused: a call is being offered to the agent, or he is already being logged off. Try again in a moment.":
        "已拒绝：该座席正在振铃，或已在登出中。请稍后再试。",
    "Refused: there is no such queue.": "已拒绝：没有该队列。",
    "The CTI gateway cannot be reached: nothing was done.": "无法连接 CTI 网关：未执行任何操作。",
    "The CRM database cannot be reached: nothing was done. Try again in a moment.":
        "无法连接 CRM 数据库：未执行任何操作。请稍后再试。",
    "Refused by the CTI gateway ({code}).": "CTI 网关已拒绝（{code}）。",
    "{agent} is now Not ready ({reason}).": "{agent} 现已设为未就绪（{reason}）。",
    "{agent} will be Not ready ({reason}) when the call ends.": "{agent} 将在通话结束后设为未就绪（{reason}）。",
    "{agent} is logged off.": "{agent} 已登出。",
    "{agent} will be logged off when the call ends.": "{agent} 将在通话结束后登出。",
    "Message sent to {count} agent(s).": "消息已发送给 {count} 名座席。",
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
    # the email and chat agents' actions (the mail queue)
    "Email and chat": "邮件和在线聊天",
    "Abandonment rate": "放弃率",
    "{n} short": "其中短时放弃 {n}",
    "Away…": "暂离…",
    "Set {agent} Away": "将 {agent} 设为暂离",
    "Channels": "渠道",
    "Set Away": "设为暂离",
    "{agent} is now Away for email; what he holds stays his.": "{agent} 现已设为邮件暂离；手头的工作仍由其处理。",
    "{agent} is now Away for chat; what he holds stays his.": "{agent} 现已设为在线聊天暂离；手头的工作仍由其处理。",
    "{agent} is now Away for email and chat; what he holds stays his.":
        "{agent} 现已设为邮件和在线聊天暂离；手头的工作仍由其处理。",
    "Refused: the agent is not logged in to the mail queue (he may have logged off meanwhile).":
        "已拒绝：该座席未登录邮件队列（可能刚刚已退出）。",
    "Refused: there is no such agent.": "已拒绝：没有这个座席。",
    "The mail queue cannot be reached: nothing was done.": "无法连接邮件队列：未执行任何操作。",
    "Refused by the mail queue ({code}).": "邮件队列拒绝了此操作（{code}）。",
    "Offered": "振铃中",
    "Logged out": "已登出",
    "Agent": "座席",
    "Work mode": "工作状态",
    "Reason": "原因",
    "In mode for": "持续时间",
    "Current contact": "当前联系",
    "Handled today": "今日处理",
    "Filter the agents": "筛选座席",
    "All teams": "全部团队",
    "All queues": "全部队列",
    "All modes": "全部状态",
    "No agent matches the filters.": "没有符合筛选条件的座席。",
    "over {n} min": "超过 {n} 分钟",
    "over {n} s": "超过 {n} 秒",
    "Live": "实时",
    "Connecting to the CTI gateway…": "正在连接 CTI 网关…",
    "The CTI gateway cannot be reached: no figure here is live. The wallboard catches up as soon as it answers.":
        "无法连接 CTI 网关：此处没有实时数据。网关恢复后看板会自动更新。",
    "The console's connection is lost; reconnecting…": "与控制台的连接已断开，正在重新连接…",
    "No queue.": "没有队列。",
    "No agent logged in.": "没有已登录的座席。",
    "Full screen": "全屏",
    # the email and chat part of the wallboard (the mail queue)
    "Channel": "渠道",
    "Phone": "电话",
    "Email": "邮件",
    "Chat": "在线聊天",
    "Email and chat queues": "邮件和在线聊天队列",
    "Email and chat agents": "邮件和在线聊天座席",
    "Serving": "服务中",
    "Available": "可接待",
    "Away": "暂离",
    "Working": "处理中",
    "Since": "持续时间",
    "Open conversations": "进行中的会话",
    "Conversations": "会话",
    "Connecting to the mail queue…": "正在连接邮件队列…",
    "Mail queue: live": "邮件队列：实时",
    "No email or chat queue.": "没有邮件或在线聊天队列。",
    "No agent logged in to the mail queue.": "没有已登录邮件队列的座席。",
    "Filter the email and chat agents": "筛选邮件和在线聊天座席",
    "All channels": "全部渠道",
    "Availability": "接待状态",
    "Available or away": "可接待或暂离",
    "Entered today": "今日进入",
    "Taken": "已接受",
    "First response": "首次回复",
    "Within due time": "按时回复率",
    "Due within {due}": "应在 {due} 内首次回复",
    "The mail queue cannot be reached: no email or chat figure here is live. It catches up as soon as the mail "
    "queue answers.": "无法连接邮件队列：此处没有实时的邮件和在线聊天数据。邮件队列恢复后会自动更新。",
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
    "{queue}: an email has waited over {wait}": "{queue}：有邮件等待超过 {wait}",
    "{queue}: more than {threshold} emails waiting": "{queue}：等待中的邮件超过 {threshold} 封",
    "{queue}: emails answered within due time today under {threshold} %":
        "{queue}：今日邮件按时回复率低于 {threshold} %",
    "{queue}: a chat has waited over {wait}": "{queue}：有在线聊天等待超过 {wait}",
    "{queue}: more than {threshold} chats waiting": "{queue}：等待中的在线聊天超过 {threshold} 个",
    "{queue}: chats answered within due time today under {threshold} %":
        "{queue}：今日在线聊天按时回复率低于 {threshold} %",
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
