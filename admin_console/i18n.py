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
    # the report pages (admin_console/reports)
    "Reports": "报表",
    "Queue report": "队列报表",
    "From": "从",
    "To (included)": "至（含）",
    "Interval": "间隔",
    "15 minutes": "15 分钟",
    "30 minutes": "30 分钟",
    "60 minutes": "60 分钟",
    "Day": "天",
    "Week": "周",
    "Month": "月",
    "All my queues": "我的全部队列",
    "All my teams": "我的全部团队",
    "all": "全部",
    "Show": "显示",
    "Days and times in {zone}, the console's time zone.": "日期和时间均为控制台所在时区 {zone}。",
    "The call script report is on the command line: cicada scripts report.": "通话脚本报表在命令行中：cicada scripts report。",
    "Export": "导出",
    "Contact detail": "联系明细",
    "Contacts per interval": "每个间隔的联系数",
    "The page shows the first {most} of {total} rows; the exports have them all.":
        "本页显示 {total} 行中的前 {most} 行；导出文件包含全部行。",
    "No queue of yours in this range.": "此时间范围内没有您的队列。",
    "Point at a column's name for its formula; a count opens the contacts behind it.":
        "将鼠标指向列名可查看其公式；点击计数可打开其对应的联系。",
    "Contacts": "联系",
    "Back to the queue report": "返回队列报表",
    "{count} contacts; times in {zone}.": "{count} 个联系；时间为 {zone}。",
    "The console shows no interaction record: a contact's line opens every time and code the event log has of it.":
        "控制台不显示交互记录：点击联系可展开事件日志中该联系的全部时间和代码。",
    "No contact.": "没有联系。",
    "Yes": "是",
    "Ended unanswered": "未接听即结束",
    "The customer": "客户",
    "The agent": "座席",
    "The system": "系统",
    "Short abandons": "短时放弃",
    "Left otherwise": "其他离开",
    "Overflowed": "溢出",
    "Answered within T": "T 内接听",
    "ASA (s)": "平均应答速度（秒）",
    "Longest wait (s)": "最长等待（秒）",
    "Service level, answered only": "服务水平（仅接听）",
    "Handled": "已处理",
    "AHT (s)": "平均处理时长（秒）",
    "Transfers": "转接",
    "Entered: the contacts that entered the queue in the interval.": "进入：在该间隔内进入队列的联系。",
    "Answered: the contacts an agent answered.": "接听：由座席接听的联系。",
    "Abandoned: the contacts whose customer hung up while waiting.": "放弃：客户在等待中挂断的联系。",
    "Short abandons: abandoned within τ seconds (after <= τ).": "短时放弃：在 τ 秒内放弃（等待 <= τ）。",
    "Left otherwise: the contacts that left the queue unanswered and not abandoned (overflowed to another queue or "
    "number, timed out, no agents, closed).":
        "其他离开：未被接听也未放弃而离开队列的联系（溢出到其他队列或号码、超时、无座席、已关闭）。",
    "Overflowed: the contacts that left the queue for another queue or number (a part of left otherwise).":
        "溢出：离开队列转到其他队列或号码的联系（属于其他离开）。",
    "Answered within T: answered after at most T seconds.": "T 内接听：最多等待 T 秒后被接听。",
    "ASA (average speed of answer) = total wait of answered contacts / answered, in seconds.":
        "平均应答速度 (ASA) = 已接听联系的总等待时间 / 接听数，单位为秒。",
    "Longest wait = the longest time a contact waited before it was answered, abandoned or left the queue; None "
    "before any left.": "最长等待 = 联系在被接听、放弃或离开队列之前的最长等待时间；尚无联系离开时为空。",
    "Service level, abandons count against = answered within T / (left the queue − short abandons).":
        "服务水平（放弃计为未达标）= T 内接听 / （离开队列 − 短时放弃）。",
    "Service level, abandons within T ignored = answered within T / (left the queue − abandoned within T).":
        "服务水平（忽略 T 内放弃）= T 内接听 / （离开队列 − T 内放弃）。",
    "Service level, abandons within T count for = (answered within T + abandoned within T − short abandons) / "
    "(left the queue − short abandons).":
        "服务水平（T 内放弃计为达标）= （T 内接听 + T 内放弃 − 短时放弃）/ （离开队列 − 短时放弃）。",
    "Service level, answered only (to compare with older systems) = answered within T / answered.":
        "服务水平（仅接听，用于与旧系统对比）= T 内接听 / 接听数。",
    "Abandonment rate = (abandoned − short abandons) / (entered − short abandons).":
        "放弃率 = （放弃 − 短时放弃）/ （进入 − 短时放弃）。",
    "Handled: answered contacts whose handling (talk and wrap-up) has ended.":
        "已处理：处理（通话和话后处理）已结束的已接听联系。",
    "AHT (average handle time) = (talk + hold + wrap-up) / handled, in seconds.":
        "平均处理时长 (AHT) = （通话 + 保持 + 话后处理）/ 已处理数，单位为秒。",
    "Transfers: the answered contacts the answering agent transferred (to a queue, an agent or a number).":
        "转接：接听座席转接出去的已接听联系（转到队列、座席或号码）。",
    "Contact": "联系",
    "Entered at": "进入时间",
    "Wait ended by": "等待结束方式",
    "Wait (s)": "等待（秒）",
    "First offered at": "首次分配时间",
    "Offers": "分配次数",
    "Offers not answered": "未接分配次数",
    "Answered at": "接听时间",
    "Left at": "离开时间",
    "Ended at": "结束时间",
    "Ended by": "结束方",
    "Cause": "原因",
    "Holds": "保持次数",
    "Talk (s)": "通话（秒）",
    "Wrap-up (s)": "话后处理（秒）",
    "Handle time (s)": "处理时长（秒）",
    "Transferred": "已转接",
    "Transferred or overflowed to": "转接或溢出到",
    "Not a day: {value}. Write it as 2026-03-29.": "不是有效日期：{value}。请写作 2026-03-29。",
    "Unknown interval: {value}.": "未知的间隔：{value}。",
    "Unknown figure: {value}.": "未知的指标：{value}。",
    "Not a time: {value}.": "不是有效时间：{value}。",
    "The report cannot be made: the CRM database cannot be reached or is not migrated to the event log.":
        "无法生成报表：无法连接 CRM 数据库，或数据库尚未迁移到事件日志。",
    "The range ends before it starts: choose a last day on or after the first.":
        "时间范围的结束早于开始：请选择不早于开始日期的结束日期。",
    "A report by {interval} covers at most {most} days; this range has {days}: choose a longer interval or a "
    "shorter range.": "按{interval}的报表最多涵盖 {most} 天；此范围有 {days} 天：请选择更长的间隔或更短的范围。",
    "There is no queue {queue} in the configuration or the event log.": "配置和事件日志中都没有队列 {queue}。",
    "The queue {queue} is not one of yours: it belongs to none of your org units, nor did an agent of yours "
    "work in it in this range.":
        "队列 {queue} 不是您的队列：它不属于您所辖的任何组织单元，此时间范围内您的座席也未在其中工作。",
    "There is no team {team}.": "没有团队 {team}。",
    "The team {team} is not one of yours.": "团队 {team} 不是您所辖的团队。",
    "There is no agent {agent}.": "没有座席 {agent}。",
    "The agent {agent} is not in your org units.": "座席 {agent} 不在您所辖的组织单元内。",
    "Your role may not read queue reports.": "您的角色无权查看队列报表。",
    # the agent time pages (admin_console/reports/agents.py)
    "Agent time": "座席时间",
    "Time per state": "各状态的时间",
    "Agent or org unit": "座席或组织单元",
    "Hours": "小时",
    "Logged in": "登录",
    "Talk": "通话",
    "Hold": "保持",
    "Handling": "处理",
    "Occupancy": "占用率",
    "Utilization": "利用率",
    "Email and chat open": "邮件和聊天处理中",
    "Logged in = ready + offered + busy (talk + hold) + wrap-up + not ready.":
        "登录 = 就绪 + 振铃中 + 忙碌（通话 + 保持）+ 话后处理 + 未就绪。",
    "Ready: waiting for a contact (work mode ready).": "就绪：等待联系（工作模式为就绪）。",
    "Offered: a call ringing on his phone, not answered yet.": "振铃中：来电正在其电话上振铃，尚未接听。",
    "Talk: on a call, the customer not on hold.": "通话：正在通话，客户未被保持。",
    "Hold: on a call, the customer on hold (also during a consult).": "保持：正在通话，客户处于保持状态（包括咨询期间）。",
    "Wrap-up: after a call, finishing its work.": "话后处理：通话结束后完成相关工作。",
    "Not ready: logged in but taking no contact, per reason code.": "未就绪：已登录但不接受联系，按原因代码区分。",
    "Handling time = talk + hold + wrap-up.": "处理时间 = 通话 + 保持 + 话后处理。",
    "Occupancy = handling time / (handling time + ready and idle time).":
        "占用率 = 处理时间 / （处理时间 + 就绪和空闲时间）。",
    "Utilization = handling time / logged-in time.": "利用率 = 处理时间 / 登录时间。",
    "Email and chat open: the time with at least one email or chat conversation open (not a part of logged in).":
        "邮件和聊天处理中：至少有一个邮件或聊天会话处于打开状态的时间（不计入登录时间）。",
    "none": "无",
    "Not ready with the reason code {reason}.": "原因代码为 {reason} 的未就绪时间。",
    "Site": "站点",
    "Contact center": "联络中心",
    "No agent of yours logged in in this range.": "此时间范围内您的座席均未登录。",
    "Times as h:mm:ss. Point at a column's name for its formula; an agent's name opens the timeline of his day. "
    "The rows of teams, sites and the center add up their agents.":
        "时间格式为 时:分:秒。将鼠标指向列名可查看其公式；点击座席姓名可打开其当天的时间线。团队、站点和中心的行为其座席之和。",
    "Agent's day": "座席的一天",
    "Back to the agent time report": "返回座席时间报表",
    "Times in {zone}, the console's time zone; point at a block for its times.":
        "时间为控制台所在时区 {zone}；将鼠标指向色块可查看其时间。",
    "Until": "至",
    "Time": "时长",
    "State": "状态",
    "Call or conversation": "通话或会话",
    "He was not logged in that day and had no email or chat open.": "该座席当天未登录，也没有打开的邮件或聊天。",
    "Your role may not read agent reports.": "您的角色无权查看座席报表。",
    "The agent time report is not per queue: choose a team or agents.": "座席时间报表不按队列统计：请选择团队或座席。",
    "Name the agent whose day to show.": "请填写要查看哪位座席的一天。",
    # the agent performance and the email and chat pages (admin_console/reports/performance.py, mail.py)
    "Agent performance": "座席绩效",
    "Email and chat report": "邮件和聊天报表",
    "Back to the agent performance report": "返回座席绩效报表",
    "Back to the email and chat report": "返回邮件和聊天报表",
    "Contacts handled": "已处理的联系",
    "Calls": "电话",
    "Emails": "邮件",
    "Chats": "聊天",
    "Calls handled": "已处理电话",
    "Call AHT (s)": "电话 AHT（秒）",
    "Emails handled": "已处理邮件",
    "Email AHT (s)": "邮件 AHT（秒）",
    "Chats handled": "已处理聊天",
    "Chat AHT (s)": "聊天 AHT（秒）",
    "Callbacks scheduled": "已安排回呼",
    "Callbacks kept": "已履行回呼",
    "Holds: the times he put the customer of a call he answered on hold.": "保持：他将所接电话的客户置于保持状态的次数。",
    "Transfers: the calls he answered and transferred, and the emails and chats he transferred.":
        "转接：他接听后转接的电话，以及他转接的邮件和聊天。",
    "Callbacks scheduled: the callbacks he created in the interval.": "已安排回呼：他在该时段内创建的回呼。",
    "Kept: the callback was marked done (completed) by the end of its window. The CRM records that mark, not the "
    "call itself.": "已履行：回呼在其时间窗口结束前被标记为已完成。CRM 记录的是该标记，而不是通话本身。",
    "Interaction records with the reason code {code}.": "原因代码为 {code} 的互动记录。",
    "Interaction records with the outcome code {code}.": "结果代码为 {code} 的互动记录。",
    "Handled (email, chat): an agent's parts in conversations that have ended. His part starts when he takes the "
    "conversation (accepted or pulled) and ends at its next step: he resolves or transfers it, it goes back to the "
    "queue, or another agent takes it (None: not ended yet).":
        "已处理（邮件、聊天）：座席在已结束会话中的处理部分。他的部分从他接手会话（接受或提取）开始，到下一步结束："
        "他解决或转接会话、会话退回队列，或由另一座席接手（未结束的不计）。",
    "AHT (email, chat) = total (end of his part − his taking it) / handled, in seconds. An agent may have several "
    "conversations open at once: each counts its whole time.":
        "AHT（邮件、聊天）= 总计（其部分结束 − 其接手）/ 已处理数，单位为秒。座席可同时打开多个会话：每个会话计其全部时间。",
    "No agent of yours handled a contact in this range.": "此时间范围内您的座席未处理任何联系。",
    "A contact counts in the interval in which the agent took it. Point at a column's name for its formula. The rows "
    "of teams, sites and the center add up their agents.":
        "联系计入座席接手它的时段。将鼠标指向列名可查看其公式。团队、站点和中心的行为其座席之和。",
    "The agent performance report is not per queue: choose a team or agents.": "座席绩效报表不按队列统计：请选择团队或座席。",
    "Due time (s)": "应答时限（秒）",
    "First replies": "首次回复",
    "First response time (s)": "首次响应时间（秒）",
    "Replied within due time": "时限内回复",
    "Share within due time": "时限内回复比例",
    "Resolved": "已解决",
    "Resolution time (s)": "解决时间（秒）",
    "Reopened": "重新打开",
    "Entered: the conversations that entered the queue in the interval (each visit once).":
        "进入：该时段内进入队列的会话（每次进入计一次）。",
    "Answered: the conversations an agent took (accepted, or pulled from a group inbox).":
        "已接：座席接手的会话（接受，或从组收件箱提取）。",
    "Abandoned: the chats whose customer left before an agent took them.": "放弃：座席接手前客户已离开的聊天。",
    "Short abandons: chats abandoned within τ seconds (after <= τ).": "短时放弃：在 τ 秒内放弃的聊天（等待 <= τ）。",
    "First replies: the visits in which the agent's first reply of the opening came.":
        "首次回复：座席对会话开启的首次回复发生在该次进入中的次数。",
    "Average first response time = total (first reply − opening) / first replies, in seconds.":
        "平均首次响应时间 = 总计（首次回复 − 开启）/ 首次回复数，单位为秒。",
    "Replied within due time: first reply at most `due` seconds after the opening.":
        "时限内回复：首次回复在开启后不超过应答时限（秒）。",
    "Share answered within due time = replied within due time / (first replies + overdue without a reply at `now`); "
    "None when the queue has no due time. Not counted: a conversation not yet due and not replied, one left for "
    "another queue, a chat abandoned within its due time, one resolved within its due time without a reply "
    "(nothing to answer).":
        "时限内回复比例 = 时限内回复 / （首次回复 + 截至当前已超时且未回复）；队列无应答时限时不计算。"
        "不计入：尚未到期且未回复的会话、转往其他队列的会话、在时限内放弃的聊天、在时限内未回复即已解决的会话（无需回复）。",
    "Resolved: the visits an agent closed (a reopened conversation's first resolution counts in the visit it "
    "closed, its later one in the visit the reopening started).":
        "已解决：座席关闭的进入（重新打开的会话，其首次解决计入它关闭的那次进入，之后的解决计入重新打开开始的进入）。",
    "Average resolution time = total (first resolution of the visit − opening) / resolved, in seconds.":
        "平均解决时间 = 总计（该次进入的首次解决 − 开启）/ 已解决数，单位为秒。",
    "Reopened: resolved visits the customer wrote to again.": "重新打开：已解决后客户再次来信的进入。",
    "No email or chat queue of yours in this range.": "此时间范围内没有您的邮件或聊天队列。",
    "A conversation counts in the interval in which it entered the queue; each queue's row is followed by the rows "
    "of the agents who took its conversations. Times in seconds. Point at a column's name for its formula.":
        "会话计入其进入队列的时段；每个队列的行下方是接手其会话的座席的行。时间单位为秒。将鼠标指向列名可查看其公式。",
    "There is no email or chat queue {queue} in the configuration or the event log.":
        "配置和事件日志中都没有邮件或聊天队列 {queue}。",
    "The email and chat report has no phone channel: the queue report has the calls.":
        "邮件和聊天报表没有电话渠道：电话请看队列报表。",
    "Unknown channel {channel}: choose email, chat or both.": "未知渠道 {channel}：请选择邮件、聊天或两者。",
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
