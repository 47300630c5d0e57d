<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActionBoxPage</name>
    <message>
        <location filename="../ui/action_page.py" line="79"/>
        <source>Type to find an action, Enter to open it</source>
        <translation>输入以查找操作，按回车打开</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="80"/>
        <source>Done in this interaction</source>
        <translation>本次互动已完成</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="200"/>
        <source>in the outbox</source>
        <translation>在发件箱中</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="201"/>
        <source>waiting in the outbox: no mail relay is configured ([mail] relay)</source>
        <translation>在发件箱中等待：未配置邮件中继（[mail] relay）</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="203"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="205"/>
        <source>not sent: {error}</source>
        <translation>未发送：{error}</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="206"/>
        <source>in the outbox, tried {n} time(s): {error}</source>
        <translation>在发件箱中，已尝试 {n} 次：{error}</translation>
    </message>
</context>
<context>
    <name>ActionDialog</name>
    <message>
        <location filename="../ui/action_page.py" line="330"/>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
</context>
<context>
    <name>BusinessData</name>
    <message>
        <location filename="../ui/business_data.py" line="28"/>
        <source>Contact persons</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="29"/>
        <source>Relationships</source>
        <translation>关系</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="30"/>
        <source>Open service orders</source>
        <translation>未结服务单</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="31"/>
        <source>Open complaints</source>
        <translation>未结投诉</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="32"/>
        <source>Open sales orders</source>
        <translation>未结销售订单</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="33"/>
        <source>Installed base</source>
        <translation>已安装设备</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="34"/>
        <source>Latest interactions</source>
        <translation>最近互动</translation>
    </message>
</context>
<context>
    <name>BusinessDataPage</name>
    <message>
        <location filename="../ui/business_data.py" line="158"/>
        <source>Item</source>
        <translation>项目</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="158"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="191"/>
        <source>Select an item to see it here (read-only).</source>
        <translation>选择一项即可在此查看（只读）。</translation>
    </message>
</context>
<context>
    <name>CallStrip</name>
    <message>
        <location filename="../ui/main_window.py" line="503"/>
        <source>Caller</source>
        <translation>来电号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="503"/>
        <source>Dialled</source>
        <translation>被叫号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="503"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="504"/>
        <source>Waited</source>
        <translation>等待</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="504"/>
        <source>Talk</source>
        <translation>通话</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="504"/>
        <source>Hold</source>
        <translation>保持</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="505"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="527"/>
        <source>offered</source>
        <translation>振铃中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="527"/>
        <source>talking</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="527"/>
        <source>on hold</source>
        <translation>保持中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="528"/>
        <source>consulting</source>
        <translation>咨询中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="528"/>
        <source>conference</source>
        <translation>会议中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="529"/>
        <source>dialing</source>
        <translation>拨号中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="529"/>
        <source>wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="529"/>
        <source>call lost</source>
        <translation>通话已中断</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="530"/>
        <source>email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="530"/>
        <source>chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="534"/>
        <source>anonymous</source>
        <translation>匿名</translation>
    </message>
</context>
<context>
    <name>ChatTab</name>
    <message>
        <location filename="../ui/inbox_page.py" line="758"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="759"/>
        <source>Work on it</source>
        <translation>开始处理</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="760"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="761"/>
        <source>Transfer…</source>
        <translation>转交…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="762"/>
        <source>Hand this chat on to another queue or a colleague (Alt+T)</source>
        <translation>将此聊天转交给其他队列或同事 (Alt+T)</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="785"/>
        <source>The customer ended the chat. Add your notes and press Done.</source>
        <translation>客户已结束对话。请填写备注后点击“完成”。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="797"/>
        <source>The customer ended the chat</source>
        <translation>客户已结束对话</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="798"/>
        <source>Write to the customer, Enter to send</source>
        <translation>给客户写消息，回车发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="764"/>
        <source>Canned answer…</source>
        <translation>常用回复…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="790"/>
        <source>{customer} is typing…</source>
        <translation>{customer} 正在输入…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="787"/>
        <source>The customer has left the chat.</source>
        <translation>客户已离开聊天。</translation>
    </message>
</context>
<context>
    <name>HistoryModel</name>
    <message>
        <location filename="../ui/catalogue.py" line="67"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="67"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="68"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="68"/>
        <source>Inbound</source>
        <translation>呼入</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="69"/>
        <source>Outbound</source>
        <translation>呼出</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="69"/>
        <source>Date/time</source>
        <translation>日期/时间</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="70"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="70"/>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="71"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="71"/>
        <source>Agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="72"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="72"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="73"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="73"/>
        <source>Talk time</source>
        <translation>通话时长</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <location filename="../ui/history_page.py" line="414"/>
        <location filename="../ui/history_page.py" line="527"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="418"/>
        <source>All channels</source>
        <translation>全部渠道</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="419"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="419"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="419"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="423"/>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="424"/>
        <source>Only interactions on or after this day</source>
        <translation>仅显示此日期及之后的互动</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="425"/>
        <source>To</source>
        <translation>到</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="426"/>
        <source>Only interactions on or before this day</source>
        <translation>仅显示此日期及之前的互动</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="427"/>
        <location filename="../ui/history_page.py" line="534"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="428"/>
        <source>any outcome</source>
        <translation>任意结果</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="429"/>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="430"/>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="431"/>
        <source>Remove all filters</source>
        <translation>清除全部筛选</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="432"/>
        <source>Select an interaction to see its details.</source>
        <translation>选择一条互动查看详情。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="460"/>
        <source>Check the filter: {error}</source>
        <translation>请检查筛选条件：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="462"/>
        <source>No customer confirmed: confirm one to see the interaction history.</source>
        <translation>尚未确认客户：确认客户后即可查看互动历史。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="464"/>
        <source>{count} shown. Could not load the history: {error}</source>
        <translation>已显示 {count} 条。无法加载历史：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="466"/>
        <source>Could not load the history: {error}</source>
        <translation>无法加载历史：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="468"/>
        <source>{count} shown, loading…</source>
        <translation>已显示 {count} 条，加载中…</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="469"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="471"/>
        <source>No interactions match.</source>
        <translation>没有符合条件的互动。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="473"/>
        <source>{count} shown, more on scroll</source>
        <translation>已显示 {count} 条，滚动加载更多</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="475"/>
        <source>{count} shown, all of them</source>
        <translation>已显示全部 {count} 条</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="523"/>
        <source>Could not load the interaction: {error}</source>
        <translation>无法加载该互动：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="527"/>
        <source>Started</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="528"/>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="528"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="529"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="529"/>
        <source>Agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="530"/>
        <source>From (ANI / sender)</source>
        <translation>来自（主叫号码 / 发件人）</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="530"/>
        <source>To (DNIS / recipient)</source>
        <translation>至（被叫号码 / 收件人）</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="531"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="531"/>
        <source>Waited</source>
        <translation>等待</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="532"/>
        <source>Talk time</source>
        <translation>通话时长</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="532"/>
        <source>On hold</source>
        <translation>保持时长</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="533"/>
        <source>Wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="533"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="534"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="538"/>
        <source>open</source>
        <translation>进行中</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="538"/>
        <source>in wrap-up</source>
        <translation>话后处理中</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="538"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="566"/>
        <source>No notes.</source>
        <translation>无备注。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="568"/>
        <source>Call script</source>
        <translation>话术</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="571"/>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
</context>
<context>
    <name>IdentifyPage</name>
    <message>
        <location filename="../ui/identify_page.py" line="114"/>
        <source>Caller</source>
        <translation>来电客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="115"/>
        <location filename="../ui/identify_page.py" line="120"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="116"/>
        <source>Create new customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="117"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="118"/>
        <source>Confirm the selected partner (Enter)</source>
        <translation>确认所选业务伙伴（回车）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="119"/>
        <source>Contact person:</source>
        <translation>联系人：</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="121"/>
        <source>Name, phone, email, customer number or city</source>
        <translation>姓名、电话、邮箱、客户编号或城市</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="122"/>
        <location filename="../ui/identify_page.py" line="125"/>
        <source>Customer no.</source>
        <translation>客户编号</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="122"/>
        <location filename="../ui/identify_page.py" line="125"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="122"/>
        <source>Matched by</source>
        <translation>匹配方式</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="122"/>
        <source>Contact persons</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="125"/>
        <location filename="../ui/identify_page.py" line="128"/>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="125"/>
        <location filename="../ui/identify_page.py" line="127"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="125"/>
        <location filename="../ui/identify_page.py" line="127"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="126"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="126"/>
        <source>Last name</source>
        <translation>姓</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="126"/>
        <source>First name</source>
        <translation>名</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="127"/>
        <location filename="../ui/identify_page.py" line="133"/>
        <source>Organization</source>
        <translation>组织</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="132"/>
        <source>Person</source>
        <translation>个人</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="135"/>
        <source>Save customer</source>
        <translation>保存客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="136"/>
        <source>Not a duplicate: save anyway</source>
        <translation>不是重复客户：仍然保存</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="156"/>
        <source>No contact in the workspace.</source>
        <translation>工作区中没有联系。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="166"/>
        <source>Looking up {ani}…</source>
        <translation>正在查询 {ani}…</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="167"/>
        <source>Confirmed: {name} ({number})</source>
        <translation>已确认：{name}（{number}）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="168"/>
        <source>Proposed: {name} ({number}). Confirm if this is the caller.</source>
        <translation>建议：{name}（{number}）。如确为来电客户请确认。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="169"/>
        <source>{count} partners use {ani}: pick the caller.</source>
        <translation>有 {count} 个业务伙伴使用 {ani}：请选择来电客户。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="170"/>
        <source>No partner uses {ani}: search, or create a new customer.</source>
        <translation>没有业务伙伴使用 {ani}：请搜索或新建客户。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="173"/>
        <source>this number</source>
        <translation>此号码</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="189"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="233"/>
        <source>Searching…</source>
        <translation>搜索中…</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/identify_page.py" line="245"/>
        <source>%n partner(s) found.</source>
        <translation>
            <numerusform>找到 %n 个业务伙伴。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="247"/>
        <source>More match: add a word to narrow the search.</source>
        <translation>还有更多匹配：请添加关键词缩小范围。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="258"/>
        <source>Saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="269"/>
        <source>This customer may exist already: pick one of the partners listed under Search, or save anyway.</source>
        <translation>该客户可能已存在：请从搜索结果中选择，或仍然保存。</translation>
    </message>
</context>
<context>
    <name>InboxPage</name>
    <message>
        <location filename="../ui/inbox_page.py" line="233"/>
        <source>Available for email</source>
        <translation>接收邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="234"/>
        <source>Available for chat</source>
        <translation>接收在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="235"/>
        <source>Offered to you</source>
        <translation>分配给您的工作</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="236"/>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="237"/>
        <source>Accept the selected offer (Alt+A)</source>
        <translation>接受所选工作（Alt+A）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="239"/>
        <source>Reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="240"/>
        <source>Give the selected offer to a colleague (Alt+J)</source>
        <translation>将所选工作转给同事（Alt+J）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="242"/>
        <source>My work</source>
        <translation>我的工作</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="243"/>
        <source>Group inbox</source>
        <translation>小组收件箱</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="247"/>
        <source>All channels</source>
        <translation>全部渠道</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="247"/>
        <location filename="../ui/inbox_page.py" line="313"/>
        <location filename="../ui/inbox_page.py" line="375"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="247"/>
        <location filename="../ui/inbox_page.py" line="313"/>
        <location filename="../ui/inbox_page.py" line="375"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="251"/>
        <source>Search subject or customer, Enter to filter</source>
        <translation>搜索主题或客户，回车筛选</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="252"/>
        <source>Load more</source>
        <translation>加载更多</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="253"/>
        <source>Due</source>
        <translation>截止时间</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="253"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="253"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="253"/>
        <location filename="../ui/inbox_page.py" line="268"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="253"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="254"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="257"/>
        <source>Load remote images</source>
        <translation>加载远程图片</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="258"/>
        <source>Work on it</source>
        <translation>开始处理</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="258"/>
        <source>Take</source>
        <translation>领取</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="259"/>
        <location filename="../ui/inbox_page.py" line="645"/>
        <source>Reply</source>
        <translation>回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="259"/>
        <location filename="../ui/inbox_page.py" line="645"/>
        <source>Reply all</source>
        <translation>全部回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="260"/>
        <location filename="../ui/inbox_page.py" line="646"/>
        <source>Forward</source>
        <translation>转发</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="260"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="261"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="261"/>
        <source>Transfer…</source>
        <translation>转交…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="263"/>
        <source>Hand this on to another queue or a colleague (Alt+T)</source>
        <translation>将此会话转交给其他队列或同事 (Alt+T)</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="264"/>
        <source>Make this the contact in the workspace: identify the customer, business data, scripts and the Action Box</source>
        <translation>将其设为工作区中的联系：识别客户、业务数据、话术和操作箱</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="266"/>
        <source>To</source>
        <translation>收件人</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="267"/>
        <source>Cc</source>
        <translation>抄送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="269"/>
        <source>Template</source>
        <translation>模板</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="270"/>
        <source>Insert</source>
        <translation>插入</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="271"/>
        <source>Attach…</source>
        <translation>添加附件…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="272"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="273"/>
        <source>Send (Ctrl+Enter)</source>
        <translation>发送（Ctrl+Enter）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="274"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="304"/>
        <source>The inbox could not be read: {error}</source>
        <translation>无法读取收件箱：{error}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="320"/>
        <source>The first answer is overdue</source>
        <translation>首次答复已超时</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="325"/>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="325"/>
        <source>offered</source>
        <translation>已分配</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="325"/>
        <source>yours</source>
        <translation>我的</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="326"/>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="343"/>
        <source>Emails {emails}/{email_capacity} · chats {chats}/{chat_capacity}</source>
        <translation>邮件 {emails}/{email_capacity} · 聊天 {chats}/{chat_capacity}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="347"/>
        <source>Not connected to the mail queue: {why}</source>
        <translation>未连接邮件队列：{why}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="376"/>
        <source>{channel} from {customer}: {subject} ({seconds} s)</source>
        <translation>{customer} 的{channel}：{subject}（{seconds} 秒）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="386"/>
        <source>from {agent}: {note}</source>
        <translation>来自 {agent}：{note}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="387"/>
        <source>from {agent}</source>
        <translation>来自 {agent}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="443"/>
        <source>Transferring…</source>
        <translation>正在转交…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="521"/>
        <source>Double-click or Enter to save</source>
        <translation>双击或回车保存</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="559"/>
        <source>{agent} (answer)</source>
        <translation>{agent}（答复）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="560"/>
        <source>{agent} (internal note)</source>
        <translation>{agent}（内部备注）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="564"/>
        <source>waiting to be sent</source>
        <translation>等待发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="564"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="565"/>
        <source>failed: {error}</source>
        <translation>发送失败：{error}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="607"/>
        <source>Save attachment</source>
        <translation>保存附件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="639"/>
        <source>Forwarded message</source>
        <translation>转发的邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="646"/>
        <source>Internal note</source>
        <translation>内部备注</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="656"/>
        <source>Attach files</source>
        <translation>添加附件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="660"/>
        <source>{name} is larger than 20 MB</source>
        <translation>{name} 超过 20 MB</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="680"/>
        <source>The text is empty.</source>
        <translation>正文为空。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="683"/>
        <source>Sending…</source>
        <translation>正在发送…</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../ui/main_window.py" line="568"/>
        <source>Keypad</source>
        <translation>拨号盘</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../ui/login_dialog.py" line="50"/>
        <source>Cicada — log in</source>
        <translation>Cicada — 登录</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="51"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="51"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="51"/>
        <source>Phone (SIP address)</source>
        <translation>话机（SIP 地址）</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="52"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="52"/>
        <source>Only these queues</source>
        <translation>仅这些队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="54"/>
        <source>every queue my skills qualify for</source>
        <translation>我的技能所能处理的全部队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="55"/>
        <source>queue names, separated by commas</source>
        <translation>队列名称，用逗号分隔</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="56"/>
        <source>e.g. sip:1001@10.0.0.5:5060</source>
        <translation>例如 sip:1001@10.0.0.5:5060</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="72"/>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="75"/>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="92"/>
        <source>Welcome, {name}. Check your phone and queues, then OK.</source>
        <translation>欢迎，{name}。请检查话机和队列，然后点击确定。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../ui/main_window.py" line="235"/>
        <source>Cicada — {name} ({agent})</source>
        <translation>Cicada — {name}（{agent}）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="238"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="238"/>
        <source>Not ready</source>
        <translation>未就绪</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="239"/>
        <source>Wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="239"/>
        <source>Accept</source>
        <translation>接听</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="240"/>
        <source>Reject</source>
        <translation>拒接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="240"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="241"/>
        <source>Hold</source>
        <translation>保持</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="241"/>
        <source>Retrieve</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="242"/>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="242"/>
        <source>Consult</source>
        <translation>咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="243"/>
        <source>Complete transfer</source>
        <translation>完成转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="244"/>
        <source>Conference</source>
        <translation>会议</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="244"/>
        <source>Cancel consult</source>
        <translation>取消咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="245"/>
        <source>Dial</source>
        <translation>拨号</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="245"/>
        <source>Keypad</source>
        <translation>拨号盘</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="245"/>
        <source>End</source>
        <translation>结束</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="248"/>
        <source>Stay in wrap-up: stops the wrap-up timer</source>
        <translation>保持话后处理：停止话后处理计时</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="249"/>
        <source>Blind transfer to an agent, a queue or a number</source>
        <translation>盲转给坐席、队列或号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="250"/>
        <source>Talk to a colleague first, then transfer or conference</source>
        <translation>先与同事沟通，再转接或建立会议</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="251"/>
        <source>Save the interaction record and close the contact</source>
        <translation>保存互动记录并关闭联系</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="257"/>
        <source>Number to dial</source>
        <translation>要拨打的号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="258"/>
        <source>Identify Account</source>
        <translation>客户识别</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="258"/>
        <source>Business Data</source>
        <translation>业务数据</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="258"/>
        <source>Interaction History</source>
        <translation>互动历史</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Interaction Record</source>
        <translation>互动记录</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Scripts</source>
        <translation>话术脚本</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Action Box</source>
        <translation>操作箱</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Inbox</source>
        <translation>收件箱</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="265"/>
        <source>Emails and chats: this desktop was started without the mail queue (cicada desktop --no-mailq).</source>
        <translation>邮件和在线聊天：此桌面启动时未连接邮件队列（cicada desktop --no-mailq）。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="267"/>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="268"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="269"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="270"/>
        <source>Search customers</source>
        <translation>搜索客户</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="272"/>
        <source>&amp;Demo</source>
        <translation>演示(&amp;D)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="273"/>
        <source>Simulate a customer&apos;s call (Ctrl+Shift+N)</source>
        <translation>模拟客户来电（Ctrl+Shift+N）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="275"/>
        <source>Simulate a customer&apos;s email (Ctrl+Shift+E)</source>
        <translation>模拟客户邮件（Ctrl+Shift+E）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="277"/>
        <source>Open the web chat as a customer (in the browser)</source>
        <translation>以客户身份打开网页聊天（在浏览器中）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="278"/>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="316"/>
        <source>Logged out</source>
        <translation>已登出</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="364"/>
        <source>Connected to the CTI gateway</source>
        <translation>已连接 CTI 网关</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="368"/>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="369"/>
        <source>Gateway not connected</source>
        <translation>网关未连接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="371"/>
        <source>The CTI gateway is not reachable ({why}). Reconnecting by itself; your interaction stays editable and nothing you type is lost.</source>
        <translation>无法连接 CTI 网关（{why}）。正在自动重连；当前互动仍可编辑，输入的内容不会丢失。</translation>
    </message>
</context>
<context>
    <name>PartnerHeader</name>
    <message>
        <location filename="../ui/business_data.py" line="94"/>
        <source>Customer:</source>
        <translation>客户：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="94"/>
        <source>No.:</source>
        <translation>编号：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="95"/>
        <source>Segment:</source>
        <translation>细分：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="95"/>
        <source>Owner:</source>
        <translation>负责人：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="96"/>
        <source>Phone:</source>
        <translation>电话：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="96"/>
        <source>Email:</source>
        <translation>邮箱：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="116"/>
        <source>loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="123"/>
        <source>no confirmed customer</source>
        <translation>未确认客户</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="127"/>
        <source>pool</source>
        <translation>客户池</translation>
    </message>
</context>
<context>
    <name>RecordPage</name>
    <message>
        <location filename="../ui/record_page.py" line="82"/>
        <source>Interaction record</source>
        <translation>互动记录</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="83"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="84"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="85"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="86"/>
        <source>Times</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="87"/>
        <source>Notes handed over</source>
        <translation>转交的备注</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="88"/>
        <source>What the customer wanted, what you did, what was agreed</source>
        <translation>客户的诉求、您的处理、双方的约定</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="89"/>
        <source>End contact</source>
        <translation>结束联系</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="90"/>
        <source>Save the record, close the contact and take the next one (F12)</source>
        <translation>保存记录、关闭联系并接待下一位（F12）</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="91"/>
        <source>Unsaved records from earlier</source>
        <translation>之前未保存的记录</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="92"/>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="93"/>
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="109"/>
        <source>(not set)</source>
        <translation>（未设置）</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="127"/>
        <source>No contact in the workspace.</source>
        <translation>工作区中没有联系。</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="135"/>
        <source>Call from {ani} to {dnis}, queue {queue}, offered at {time}</source>
        <translation>{ani} 呼入 {dnis}，队列 {queue}，{time} 分配</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="157"/>
        <source>waited {w} · talked {t} · on hold {h}</source>
        <translation>等待 {w} · 通话 {t} · 保持 {h}</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="176"/>
        <source>no customer</source>
        <translation>无客户</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="177"/>
        <source>{time}: call from {ani}, {partner}</source>
        <translation>{time}：{ani} 的来电，{partner}</translation>
    </message>
</context>
<context>
    <name>ScriptsPage</name>
    <message>
        <location filename="../ui/scripts_page.py" line="149"/>
        <source>Script:</source>
        <translation>话术：</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="150"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="151"/>
        <source>Start the chosen script for this contact</source>
        <translation>为本次联系启动所选话术</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="152"/>
        <source>So far</source>
        <translation>已进行</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="153"/>
        <source>Back</source>
        <translation>上一步</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="154"/>
        <source>The step before; its answer can be changed (Alt+Left)</source>
        <translation>回到上一步，可修改其回答（Alt+←）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="155"/>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="156"/>
        <source>Take the answer and go on (Alt+Right or Ctrl+Enter)</source>
        <translation>记录回答并继续（Alt+→ 或 Ctrl+Enter）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="160"/>
        <source>&amp;Yes</source>
        <translation>是(&amp;Y)</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="161"/>
        <source>&amp;No</source>
        <translation>否(&amp;N)</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="163"/>
        <source>(no date)</source>
        <translation>（无日期）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="201"/>
        <source>No call script runs for this contact.</source>
        <translation>本次联系没有运行中的话术。</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="202"/>
        <source>A call script opens here when a contact starts.</source>
        <translation>联系开始时，话术会显示在这里。</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="215"/>
        <source>End of the script — outcome: {outcome}</source>
        <translation>话术结束 — 结果：{outcome}</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="233"/>
        <source>(skipped)</source>
        <translation>（跳过）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="246"/>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="246"/>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="280"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="291"/>
        <source>a number from {low} to {high}</source>
        <translation>{low} 到 {high} 之间的数字</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="292"/>
        <source>a number</source>
        <translation>数字</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <location filename="../ui/main_window.py" line="545"/>
        <source>Consult</source>
        <translation>咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="545"/>
        <location filename="../ui/transfer_dialog.py" line="57"/>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="547"/>
        <source>Agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="548"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="549"/>
        <source>Number</source>
        <translation>号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="552"/>
        <source>To</source>
        <translation>转给</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="553"/>
        <source>Who</source>
        <translation>对象</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="54"/>
        <source>Asking the mail queue who is there…</source>
        <translation>正在向邮件队列查询可转交的对象…</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="58"/>
        <source>To a &amp;queue</source>
        <translation>转到队列(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="59"/>
        <source>To a &amp;colleague</source>
        <translation>转给同事(&amp;C)</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="60"/>
        <source>&amp;Note</source>
        <translation>备注(&amp;N)</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="61"/>
        <source>Why, for the colleague (optional)</source>
        <translation>转交原因，供同事参考（可选）</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="71"/>
        <source>{agent} (no room now)</source>
        <translation>{agent}（当前已满或不可用）</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="77"/>
        <source>No colleague has room for this now.</source>
        <translation>目前没有同事可以接收此会话。</translation>
    </message>
    <message>
        <location filename="../ui/transfer_dialog.py" line="81"/>
        <source>The mail queue did not answer: {error}</source>
        <translation>邮件队列没有应答：{error}</translation>
    </message>
</context>
<context>
    <name>Workbench</name>
    <message>
        <location filename="../ui/controller.py" line="129"/>
        <source>The CTI gateway restarted; logging in again.</source>
        <translation>CTI 网关已重启，正在重新登录。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="180"/>
        <source>The caller could not be looked up: {error}</source>
        <translation>无法查询来电客户：{error}</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="206"/>
        <source>The customer&apos;s data could not be loaded: {error}</source>
        <translation>无法加载客户数据：{error}</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="278"/>
        <source>There is no call to act on.</source>
        <translation>当前没有可操作的通话。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="329"/>
        <source>Hang up before ending the contact.</source>
        <translation>请先挂断再结束联系。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="348"/>
        <source>Interaction record {id} saved.</source>
        <translation>互动记录 {id} 已保存。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="360"/>
        <source>The interaction record could not be saved yet ({error}); it is kept as a draft and tried again.</source>
        <translation>互动记录暂时无法保存（{error}）；已保存为草稿并将自动重试。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="184"/>
        <source>the gateway restarted</source>
        <translation>网关已重启</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="185"/>
        <source>the gateway no longer has this call</source>
        <translation>网关上已没有此通话</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="186"/>
        <source>restored from a draft</source>
        <translation>从草稿恢复</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="311"/>
        <source>The call from {ani} was withdrawn ({reason}).</source>
        <translation>{ani} 的来电已撤回（{reason}）。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="395"/>
        <source>The call from {ani} was lost ({why}). The interaction record stays open for you to finish.</source>
        <translation>{ani} 的通话已中断（{why}）。互动记录保持打开，请完成填写。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="560"/>
        <source>The record of the call from {ani} was put aside for saving when the next contact arrived.</source>
        <translation>下一位联系到达时，{ani} 来电的记录已暂存待保存。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="373"/>
        <location filename="../workbench.py" line="571"/>
        <source>The draft could not be written to disk: {error}</source>
        <translation>草稿无法写入磁盘：{error}</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="433"/>
        <source>A demo customer is calling {dnis} from {ani}.</source>
        <translation>演示客户正在用 {ani} 拨打 {dnis}。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="446"/>
        <source>{name} sent an email: {subject}</source>
        <translation>{name} 发来邮件：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="448"/>
        <source>The demo email could not be sent: {error}</source>
        <translation>演示邮件无法发送：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="55"/>
        <source>The call scripts could not be loaded: {error}</source>
        <translation>无法加载话术：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="129"/>
        <source>The script of the restored record cannot go on: {error}</source>
        <translation>恢复的记录中的话术无法继续：{error}</translation>
    </message>
    <message>
        <location filename="../ui/mail_control.py" line="115"/>
        <source>New email from {customer}: {subject}</source>
        <translation>{customer} 的新邮件：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/mail_control.py" line="117"/>
        <source>New chat from {customer}: {subject}</source>
        <translation>{customer} 的新聊天：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/mail_control.py" line="119"/>
        <source>{agent} transferred to you: {subject}</source>
        <translation>{agent} 转交给您：{subject}</translation>
    </message>
</context>
<context>
    <name>actions</name>
    <message>
        <location filename="../ui/catalogue.py" line="78"/>
        <source>Service order</source>
        <translation>服务单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="78"/>
        <source>Complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="79"/>
        <source>Sales order</source>
        <translation>销售订单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="79"/>
        <source>Lead or opportunity</source>
        <translation>线索或商机</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="80"/>
        <source>Callback</source>
        <translation>回电</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="80"/>
        <source>Follow-up email</source>
        <translation>跟进邮件</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="81"/>
        <source>Task for a colleague</source>
        <translation>给同事的任务</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="83"/>
        <source>Installed-base item</source>
        <translation>已安装设备</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="83"/>
        <source>Problem description</source>
        <translation>问题描述</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="84"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="84"/>
        <source>Requested date</source>
        <translation>期望日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="85"/>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="351"/>
        <location filename="../ui/catalogue.py" line="85"/>
        <source>Product</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="86"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="86"/>
        <source>Products</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="87"/>
        <source>Delivery address</source>
        <translation>送货地址</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="87"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="88"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="88"/>
        <source>Expected value (CNY)</source>
        <translation>预计金额（元）</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="89"/>
        <source>Expected closing date</source>
        <translation>预计成交日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="89"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="90"/>
        <source>Number to call</source>
        <translation>回电号码</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="90"/>
        <source>Day</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="91"/>
        <source>From</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="91"/>
        <source>Until</source>
        <translation>结束</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="92"/>
        <source>To</source>
        <translation>收件人</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="93"/>
        <source>Who calls back</source>
        <translation>由谁回电</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="93"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="94"/>
        <source>Template</source>
        <translation>模板</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="94"/>
        <source>Text</source>
        <translation>正文</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="95"/>
        <source>For</source>
        <translation>交给</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="95"/>
        <source>What to do</source>
        <translation>要做什么</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="96"/>
        <source>Due</source>
        <translation>截止</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="352"/>
        <location filename="../ui/catalogue.py" line="96"/>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="359"/>
        <location filename="../ui/catalogue.py" line="97"/>
        <source>Add product</source>
        <translation>添加产品</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="360"/>
        <location filename="../ui/catalogue.py" line="97"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="99"/>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="99"/>
        <source>Normal</source>
        <translation>普通</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="100"/>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="100"/>
        <source>Urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="101"/>
        <source>Billing</source>
        <translation>账单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="101"/>
        <source>Service outage</source>
        <translation>服务中断</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="102"/>
        <source>Installation</source>
        <translation>安装</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="102"/>
        <source>Product defect</source>
        <translation>产品缺陷</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="103"/>
        <source>Delivery</source>
        <translation>送货</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="103"/>
        <source>Staff behaviour</source>
        <translation>服务态度</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="104"/>
        <source>Contract</source>
        <translation>合同</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="104"/>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="105"/>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="105"/>
        <source>Opportunity</source>
        <translation>商机</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="106"/>
        <source>Me</source>
        <translation>我</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="108"/>
        <source>confirm the caller first</source>
        <translation>请先确认来电客户</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="109"/>
        <source>pick a contact person first</source>
        <translation>请先选择联系人</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="110"/>
        <source>only during a call</source>
        <translation>仅限通话中</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="111"/>
        <source>the customer has no installed base</source>
        <translation>该客户没有已安装设备</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="112"/>
        <source>the customer has no email address</source>
        <translation>该客户没有邮箱地址</translation>
    </message>
    <message>
        <location filename="../ui/action_control.py" line="61"/>
        <source>no contact in the workspace</source>
        <translation>工作区中没有联系</translation>
    </message>
    <message>
        <location filename="../ui/action_control.py" line="63"/>
        <source>loading the customer&apos;s data</source>
        <translation>正在加载客户数据</translation>
    </message>
</context>
<context>
    <name>codes</name>
    <message>
        <location filename="../ui/catalogue.py" line="18"/>
        <source>billing_question</source>
        <translation>账单咨询</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="18"/>
        <source>invoice_dispute</source>
        <translation>发票争议</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="19"/>
        <source>technical_fault</source>
        <translation>技术故障</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="19"/>
        <source>order_status</source>
        <translation>订单状态</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="20"/>
        <source>new_contract</source>
        <translation>新签合同</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="20"/>
        <source>upgrade</source>
        <translation>升级</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="21"/>
        <source>cancellation</source>
        <translation>解约</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="21"/>
        <source>address_change</source>
        <translation>地址变更</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="22"/>
        <source>complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="22"/>
        <source>general_inquiry</source>
        <translation>一般咨询</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="24"/>
        <source>resolved</source>
        <translation>已解决</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="24"/>
        <source>follow_up</source>
        <translation>需跟进</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="25"/>
        <source>escalated</source>
        <translation>已升级</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="25"/>
        <source>callback_scheduled</source>
        <translation>已预约回电</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="26"/>
        <source>order_created</source>
        <translation>已创建订单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="26"/>
        <source>transferred</source>
        <translation>已转接</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="27"/>
        <source>not_interested</source>
        <translation>不感兴趣</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="27"/>
        <source>no_answer</source>
        <translation>无人接听</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="29"/>
        <source>break</source>
        <translation>休息</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="29"/>
        <source>lunch</source>
        <translation>午餐</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="30"/>
        <source>meeting</source>
        <translation>会议</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="30"/>
        <source>training</source>
        <translation>培训</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="31"/>
        <source>after_call_work</source>
        <translation>话后工作</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="31"/>
        <source>technical_problem</source>
        <translation>技术问题</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="32"/>
        <source>login</source>
        <translation>刚登录</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="32"/>
        <source>ring_no_answer</source>
        <translation>振铃未接</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="34"/>
        <source>open</source>
        <translation>未结</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="34"/>
        <source>in_process</source>
        <translation>处理中</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="35"/>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="35"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="36"/>
        <source>wrap_up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="36"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="38"/>
        <source>service_order</source>
        <translation>服务单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="38"/>
        <source>sales_order</source>
        <translation>销售订单</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="39"/>
        <source>lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="39"/>
        <source>opportunity</source>
        <translation>商机</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="40"/>
        <source>callback</source>
        <translation>回电</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="40"/>
        <source>task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="42"/>
        <source>phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="42"/>
        <source>phone digits</source>
        <translation>电话号码数字</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="43"/>
        <source>email</source>
        <translation>邮箱</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="43"/>
        <source>customer number</source>
        <translation>客户编号</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="44"/>
        <source>agent</source>
        <translation>坐席选择</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="44"/>
        <source>new</source>
        <translation>新建</translation>
    </message>
</context>
<context>
    <name>fields</name>
    <message>
        <location filename="../ui/catalogue.py" line="48"/>
        <source>customer_no</source>
        <translation>客户编号</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="48"/>
        <source>kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="49"/>
        <source>function</source>
        <translation>职务</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="49"/>
        <source>valid_from</source>
        <translation>生效日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="50"/>
        <source>valid_to</source>
        <translation>失效日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="50"/>
        <source>number</source>
        <translation>编号</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="51"/>
        <source>status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="51"/>
        <source>subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="52"/>
        <source>priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="52"/>
        <source>category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="53"/>
        <source>created_at</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="53"/>
        <source>due_at</source>
        <translation>到期时间</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="54"/>
        <source>description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="54"/>
        <source>amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="55"/>
        <source>product</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="55"/>
        <source>serial_no</source>
        <translation>序列号</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="56"/>
        <source>installed_on</source>
        <translation>安装日期</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="56"/>
        <source>warranty_end</source>
        <translation>保修截止</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="57"/>
        <source>started_at</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="57"/>
        <source>channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="58"/>
        <source>direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="58"/>
        <source>queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="59"/>
        <source>agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="59"/>
        <source>ani</source>
        <translation>主叫号码</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="60"/>
        <source>dnis</source>
        <translation>被叫号码</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="60"/>
        <source>wait_seconds</source>
        <translation>等待秒数</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="61"/>
        <source>talk_seconds</source>
        <translation>通话秒数</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="61"/>
        <source>hold_seconds</source>
        <translation>保持秒数</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="62"/>
        <source>wrapup_seconds</source>
        <translation>话后处理秒数</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="62"/>
        <source>reason_code</source>
        <translation>原因代码</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="63"/>
        <source>outcome_code</source>
        <translation>结果代码</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="63"/>
        <source>notes</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>modes</name>
    <message>
        <location filename="../ui/catalogue.py" line="11"/>
        <source>Logged out</source>
        <translation>已登出</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="11"/>
        <source>Not ready</source>
        <translation>未就绪</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="12"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="12"/>
        <source>Offered</source>
        <translation>振铃中</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="13"/>
        <source>In contact</source>
        <translation>联系中</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="13"/>
        <source>Wrap-up</source>
        <translation>话后处理</translation>
    </message>
</context>
</TS>
