<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActionBoxPage</name>
    <message>
        <location filename="../ui/action_page.py" line="146"/>
        <source>Type to find an action, Enter to open it</source>
        <translation>输入以查找操作，按回车打开</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="147"/>
        <source>Done in this interaction</source>
        <translation>本次互动已完成</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="148"/>
        <source>My follow-ups</source>
        <translation>我的跟进</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="149"/>
        <source>Open customer</source>
        <translation>打开客户</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="150"/>
        <source>Call</source>
        <translation>拨打</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="151"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="280"/>
        <source>Callback</source>
        <translation>回电</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="280"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="281"/>
        <source>no due date</source>
        <translation>无截止时间</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="284"/>
        <source>team {team}</source>
        <translation>小组 {team}</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="313"/>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="316"/>
        <source>{number} is done.</source>
        <translation>{number} 已完成。</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="318"/>
        <source>{number} could not be marked done: {error}</source>
        <translation>无法将 {number} 标记为完成：{error}</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="333"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="348"/>
        <source>The customer could not be loaded: {error}</source>
        <translation>无法加载客户：{error}</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="357"/>
        <source>in the outbox</source>
        <translation>在发件箱中</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="359"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="361"/>
        <source>not sent: {error}</source>
        <translation>未发送：{error}</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="362"/>
        <source>in the outbox, tried {n} time(s): {error}</source>
        <translation>在发件箱中，已尝试 {n} 次：{error}</translation>
    </message>
</context>
<context>
    <name>ActionControl</name>
    <message>
        <location filename="../ui/action_control.py" line="116"/>
        <source>The customer or contact changed after this form was opened, so nothing was saved. Copy what you need, close the form and open the action again.</source>
        <translation>打开此表单后，客户或联系已变更，因此未保存任何内容。请复制所需内容，关闭表单后重新打开该操作。</translation>
    </message>
</context>
<context>
    <name>ActionDialog</name>
    <message>
        <location filename="../ui/action_page.py" line="488"/>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
</context>
<context>
    <name>BusinessData</name>
    <message>
        <location filename="../ui/business_data.py" line="31"/>
        <source>Contact persons</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="32"/>
        <source>Relationships</source>
        <translation>关系</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="33"/>
        <source>Open service orders</source>
        <translation>未结服务单</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="34"/>
        <source>Open complaints</source>
        <translation>未结投诉</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="35"/>
        <source>Open sales orders</source>
        <translation>未结销售订单</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="36"/>
        <source>Open leads</source>
        <translation>未结线索</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="37"/>
        <source>Open opportunities</source>
        <translation>未结商机</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="38"/>
        <source>Open callbacks</source>
        <translation>未结回电</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="39"/>
        <source>Open tasks</source>
        <translation>未结任务</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="40"/>
        <source>Installed base</source>
        <translation>已安装设备</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="41"/>
        <source>Latest interactions</source>
        <translation>最近互动</translation>
    </message>
</context>
<context>
    <name>BusinessDataPage</name>
    <message>
        <location filename="../ui/business_data.py" line="202"/>
        <source>Item</source>
        <translation>项目</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="202"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="235"/>
        <source>Select an item to see it here (read-only).</source>
        <translation>选择一项即可在此查看（只读）。</translation>
    </message>
</context>
<context>
    <name>CallStrip</name>
    <message>
        <location filename="../ui/main_window.py" line="596"/>
        <source>Caller</source>
        <translation>来电号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="596"/>
        <source>Dialled</source>
        <translation>被叫号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="596"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="597"/>
        <source>Waited</source>
        <translation>等待</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="597"/>
        <source>Talk</source>
        <translation>通话</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="597"/>
        <source>Hold</source>
        <translation>保持</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="598"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="601"/>
        <source>Log in here</source>
        <translation>在此登录</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="602"/>
        <source>Take your session back from the other desktop</source>
        <translation>从另一桌面收回您的登录会话</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="622"/>
        <source>offered</source>
        <translation>振铃中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="622"/>
        <source>talking</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="622"/>
        <source>on hold</source>
        <translation>保持中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="623"/>
        <source>consulting</source>
        <translation>咨询中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="623"/>
        <source>conference</source>
        <translation>会议中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="624"/>
        <source>dialing</source>
        <translation>拨号中</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="624"/>
        <source>wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="624"/>
        <source>call lost</source>
        <translation>通话已中断</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="625"/>
        <source>email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="625"/>
        <source>chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="629"/>
        <source>anonymous</source>
        <translation>匿名</translation>
    </message>
</context>
<context>
    <name>ChatTab</name>
    <message>
        <location filename="../ui/inbox_chat.py" line="135"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="136"/>
        <source>Work on it</source>
        <translation>开始处理</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="137"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="138"/>
        <source>Transfer…</source>
        <translation>转交…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="139"/>
        <source>Hand this chat on to another queue or a colleague (Alt+T)</source>
        <translation>将此聊天转交给其他队列或同事 (Alt+T)</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="162"/>
        <source>The customer ended the chat. Add your notes and press Done.</source>
        <translation>客户已结束对话。请填写备注后点击“完成”。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="174"/>
        <source>The customer ended the chat</source>
        <translation>客户已结束对话</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="175"/>
        <source>Write to the customer, Enter to send</source>
        <translation>给客户写消息，回车发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="141"/>
        <source>Canned answer…</source>
        <translation>常用回复…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="167"/>
        <source>{customer} is typing…</source>
        <translation>{customer} 正在输入…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="164"/>
        <source>The customer has left the chat.</source>
        <translation>客户已离开聊天。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../ui/inbox_composer.py" line="70"/>
        <source>To</source>
        <translation>收件人</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="71"/>
        <source>Cc</source>
        <translation>抄送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="72"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="73"/>
        <source>Template</source>
        <translation>模板</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="74"/>
        <source>Insert</source>
        <translation>插入</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="75"/>
        <source>Attach…</source>
        <translation>添加附件…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="76"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="77"/>
        <source>Send (Ctrl+Enter)</source>
        <translation>发送（Ctrl+Enter）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="78"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="102"/>
        <source>Forwarded message</source>
        <translation>转发的邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="108"/>
        <source>Reply</source>
        <translation>回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="108"/>
        <source>Reply all</source>
        <translation>全部回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="109"/>
        <source>Forward</source>
        <translation>转发</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="109"/>
        <source>Internal note</source>
        <translation>内部备注</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="120"/>
        <source>Attach files</source>
        <translation>添加附件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="124"/>
        <source>{name} is larger than 20 MB</source>
        <translation>{name} 超过 20 MB</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="138"/>
        <source>The text is empty.</source>
        <translation>正文为空。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_composer.py" line="141"/>
        <source>Sending…</source>
        <translation>正在发送…</translation>
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
        <location filename="../ui/history_page.py" line="417"/>
        <location filename="../ui/history_page.py" line="530"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="421"/>
        <source>All channels</source>
        <translation>全部渠道</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="422"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="422"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="422"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="426"/>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="427"/>
        <source>Only interactions on or after this day</source>
        <translation>仅显示此日期及之后的互动</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="428"/>
        <source>To</source>
        <translation>到</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="429"/>
        <source>Only interactions on or before this day</source>
        <translation>仅显示此日期及之前的互动</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="430"/>
        <location filename="../ui/history_page.py" line="537"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="385"/>
        <source>any outcome</source>
        <translation>任意结果</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="432"/>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="433"/>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="434"/>
        <source>Remove all filters</source>
        <translation>清除全部筛选</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="435"/>
        <source>Select an interaction to see its details.</source>
        <translation>选择一条互动查看详情。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="463"/>
        <source>Check the filter: {error}</source>
        <translation>请检查筛选条件：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="465"/>
        <source>No customer confirmed: confirm one to see the interaction history.</source>
        <translation>尚未确认客户：确认客户后即可查看互动历史。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="467"/>
        <source>{count} shown. Could not load the history: {error}</source>
        <translation>已显示 {count} 条。无法加载历史：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="469"/>
        <source>Could not load the history: {error}</source>
        <translation>无法加载历史：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="471"/>
        <source>{count} shown, loading…</source>
        <translation>已显示 {count} 条，加载中…</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="472"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="474"/>
        <source>No interactions match.</source>
        <translation>没有符合条件的互动。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="476"/>
        <source>{count} shown, more on scroll</source>
        <translation>已显示 {count} 条，滚动加载更多</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="478"/>
        <source>{count} shown, all of them</source>
        <translation>已显示全部 {count} 条</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="526"/>
        <source>Could not load the interaction: {error}</source>
        <translation>无法加载该互动：{error}</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="530"/>
        <source>Started</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="531"/>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="531"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="532"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="532"/>
        <source>Agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="533"/>
        <source>From (ANI / sender)</source>
        <translation>来自（主叫号码 / 发件人）</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="533"/>
        <source>To (DNIS / recipient)</source>
        <translation>至（被叫号码 / 收件人）</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="534"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="534"/>
        <source>Waited</source>
        <translation>等待</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="535"/>
        <source>Talk time</source>
        <translation>通话时长</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="535"/>
        <source>On hold</source>
        <translation>保持时长</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="536"/>
        <source>Wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="536"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="537"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="541"/>
        <source>open</source>
        <translation>进行中</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="541"/>
        <source>in wrap-up</source>
        <translation>话后处理中</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="541"/>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="571"/>
        <source>No notes.</source>
        <translation>无备注。</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="573"/>
        <source>Call script</source>
        <translation>话术</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="576"/>
        <source>Created in this interaction</source>
        <translation>本次互动中创建</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="580"/>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="586"/>
        <source>waiting to be sent</source>
        <translation>等待发送</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="586"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="587"/>
        <source>not delivered</source>
        <translation>未送达</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="588"/>
        <source>Email to {address}</source>
        <translation>发给 {address} 的邮件</translation>
    </message>
    <message>
        <location filename="../ui/history_page.py" line="590"/>
        <source>(looked at)</source>
        <translation>（已查看）</translation>
    </message>
</context>
<context>
    <name>IdentifyPage</name>
    <message>
        <location filename="../ui/identify_page.py" line="120"/>
        <source>Caller</source>
        <translation>来电客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="121"/>
        <location filename="../ui/identify_page.py" line="126"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="122"/>
        <source>Create new customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="123"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="124"/>
        <source>Confirm the selected partner (Enter)</source>
        <translation>确认所选业务伙伴（回车）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="125"/>
        <source>Contact person:</source>
        <translation>联系人：</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="127"/>
        <source>Name, phone, email, customer number or city</source>
        <translation>姓名、电话、邮箱、客户编号或城市</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="128"/>
        <location filename="../ui/identify_page.py" line="131"/>
        <source>Customer no.</source>
        <translation>客户编号</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="128"/>
        <location filename="../ui/identify_page.py" line="131"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="128"/>
        <source>Matched by</source>
        <translation>匹配方式</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="128"/>
        <source>Contact persons</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="131"/>
        <location filename="../ui/identify_page.py" line="135"/>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="131"/>
        <location filename="../ui/identify_page.py" line="134"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="131"/>
        <location filename="../ui/identify_page.py" line="134"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="132"/>
        <source>Why it may be the same</source>
        <translation>疑似重复原因</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="133"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="133"/>
        <source>Last name</source>
        <translation>姓</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="133"/>
        <source>First name</source>
        <translation>名</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="134"/>
        <location filename="../ui/identify_page.py" line="140"/>
        <source>Organization</source>
        <translation>组织</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="139"/>
        <source>Person</source>
        <translation>个人</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="142"/>
        <source>Save customer</source>
        <translation>保存客户</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="143"/>
        <source>Not a duplicate: save anyway</source>
        <translation>不是重复客户：仍然保存</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="174"/>
        <source>No contact in the workspace.</source>
        <translation>工作区中没有联系。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="184"/>
        <source>Looking up {ani}…</source>
        <translation>正在查询 {ani}…</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="185"/>
        <source>Confirmed: {name} ({number})</source>
        <translation>已确认：{name}（{number}）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="186"/>
        <source>Proposed: {name} ({number}). Confirm if this is the caller.</source>
        <translation>建议：{name}（{number}）。如确为来电客户请确认。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="187"/>
        <source>{count} partners use {ani}: pick the caller.</source>
        <translation>有 {count} 个业务伙伴使用 {ani}：请选择来电客户。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="188"/>
        <source>No partner uses {ani}: search, or create a new customer.</source>
        <translation>没有业务伙伴使用 {ani}：请搜索或新建客户。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="191"/>
        <source>this number</source>
        <translation>此号码</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="231"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="275"/>
        <source>Searching…</source>
        <translation>搜索中…</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/identify_page.py" line="288"/>
        <source>%n partner(s) found.</source>
        <translation>
            <numerusform>找到 %n 个业务伙伴。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="290"/>
        <source>More match: add a word to narrow the search.</source>
        <translation>还有更多匹配：请添加关键词缩小范围。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="301"/>
        <source>Saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="318"/>
        <source>Saved: {name} ({number}) is the confirmed caller.</source>
        <translation>已保存：{name}（{number}）已确认为来电客户。</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="332"/>
        <source>This customer may exist already: pick one of the partners listed under Search, or save anyway.</source>
        <translation>该客户可能已存在：请从搜索结果中选择，或仍然保存。</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/identify_page.py" line="335"/>
        <source>%n other partner(s) that you may not see look like this customer: ask a supervisor before saving, so as not to make a duplicate.</source>
        <translation>
            <numerusform>另有 %n 个您无权查看的业务伙伴与此客户相似：保存前请先询问主管，以免建立重复客户。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="344"/>
        <source>The customer was not saved: {error}</source>
        <translation>客户未保存：{error}</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="356"/>
        <source>same name</source>
        <translation>同名</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="358"/>
        <source>phone {value}</source>
        <translation>电话 {value}</translation>
    </message>
    <message>
        <location filename="../ui/identify_page.py" line="360"/>
        <source>email {value}</source>
        <translation>邮箱 {value}</translation>
    </message>
</context>
<context>
    <name>InboxPage</name>
    <message>
        <location filename="../ui/inbox_page.py" line="161"/>
        <source>Available for email</source>
        <translation>接收邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="162"/>
        <source>Available for chat</source>
        <translation>接收在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="226"/>
        <source>My work</source>
        <translation>我的工作</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="229"/>
        <source>Group inbox</source>
        <translation>小组收件箱</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="168"/>
        <source>All channels</source>
        <translation>全部渠道</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="30"/>
        <source>The customer ended the chat.</source>
        <translation>客户已结束对话。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_chat.py" line="32"/>
        <source>The customer left the chat (the page was closed and did not come back).</source>
        <translation>客户已离开聊天（页面已关闭且未再返回）。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="168"/>
        <location filename="../ui/inbox_page.py" line="262"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="168"/>
        <location filename="../ui/inbox_page.py" line="262"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="175"/>
        <source>Open work</source>
        <translation>待处理</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="175"/>
        <source>Failed deliveries</source>
        <translation>发送失败</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="176"/>
        <source>Recently closed</source>
        <translation>最近关闭</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="180"/>
        <source>Your open work, conversations with an email that could not be sent, or those closed in the last week</source>
        <translation>您待处理的工作、有邮件未能发送的会话，或最近一周内关闭的会话</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="182"/>
        <source>Search subject or customer, Enter to filter</source>
        <translation>搜索主题或客户，回车筛选</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="183"/>
        <source>Load more</source>
        <translation>加载更多</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="184"/>
        <source>Due</source>
        <translation>截止时间</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="184"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="184"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="184"/>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="184"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="185"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="225"/>
        <source>My work ({count} new)</source>
        <translation>我的工作（{count} 条新）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="228"/>
        <source>Group inbox ({count})</source>
        <translation>小组收件箱（{count}）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="230"/>
        <source>All my queues</source>
        <translation>我的全部队列</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="231"/>
        <source>{queue} ({count})</source>
        <translation>{queue}（{count}）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="250"/>
        <source>The inbox could not be read: {error}</source>
        <translation>无法读取收件箱：{error}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="274"/>
        <source>A new message you have not read yet</source>
        <translation>有您尚未阅读的新消息</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="277"/>
        <source>The first answer is overdue</source>
        <translation>首次答复已超时</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="285"/>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="285"/>
        <source>offered</source>
        <translation>已分配</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="285"/>
        <source>yours</source>
        <translation>我的</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="286"/>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="303"/>
        <source>Emails {emails}/{email_capacity} · chats {chats}/{chat_capacity}</source>
        <translation>邮件 {emails}/{email_capacity} · 聊天 {chats}/{chat_capacity}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="307"/>
        <source>Not connected to the mail queue: {why}</source>
        <translation>未连接邮件队列：{why}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="331"/>
        <source>The mail queue cannot reach the CRM database: new emails and chats wait, and replies, chat messages and Done fail until it is back. Your offers and work stay yours.</source>
        <translation>邮件队列无法连接 CRM 数据库：新的邮件和会话需要等待，数据库恢复之前，回复、聊天消息和“完成”都无法执行。分配给您的工作仍归您处理。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="335"/>
        <source>The mail queue reaches the CRM database again; everything works as before.</source>
        <translation>邮件队列已重新连接 CRM 数据库，一切恢复正常。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_page.py" line="377"/>
        <source>Transferring…</source>
        <translation>正在转交…</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../ui/main_window.py" line="663"/>
        <source>Keypad</source>
        <translation>拨号盘</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../ui/login_dialog.py" line="54"/>
        <source>Cicada — log in</source>
        <translation>Cicada — 登录</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="55"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="55"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="55"/>
        <source>Phone (SIP address)</source>
        <translation>话机（SIP 地址）</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="56"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="56"/>
        <source>Only these queues</source>
        <translation>仅这些队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="58"/>
        <source>every queue my skills qualify for</source>
        <translation>我的技能所能处理的全部队列</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="59"/>
        <source>queue names, separated by commas</source>
        <translation>队列名称，用逗号分隔</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="60"/>
        <source>e.g. sip:1001@10.0.0.5:5060</source>
        <translation>例如 sip:1001@10.0.0.5:5060</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="76"/>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="79"/>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="97"/>
        <source>Welcome, {name}. Check your phone and queues, then OK.</source>
        <translation>欢迎，{name}。请检查话机和队列，然后点击确定。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="108"/>
        <source>The service&apos;s certificate was not accepted; you are not signed in.</source>
        <translation>未接受该服务的证书，您尚未登录。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="116"/>
        <source>Unknown certificate</source>
        <translation>未知证书</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="117"/>
        <source>The application service at {address} presents a certificate this computer does not know yet. Its fingerprint (SHA-256) is:

{fingerprint}

Compare it with the one your administrator gave you. Trust this certificate from now on?</source>
        <translation>位于 {address} 的应用服务出示了一张本机尚不认识的证书。其指纹（SHA-256）为：

{fingerprint}

请与管理员提供的指纹核对。今后信任此证书吗？</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="144"/>
        <source>Warning: the application service at {address} presents another certificate ({presented}) than the one this computer trusts ({pinned}). Someone may be in between: do not sign in, and tell your administrator.</source>
        <translation>警告：位于 {address} 的应用服务出示的证书（{presented}）不是本机信任的证书（{pinned}）。可能有人在中间截取通信：请不要登录，并告知管理员。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="149"/>
        <source>This account is disabled; ask an administrator.</source>
        <translation>此账号已停用，请联系管理员。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="151"/>
        <source>Wrong user name or password.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="153"/>
        <source>Too many sign-ins; try again in {seconds} s.</source>
        <translation>登录尝试过多，请 {seconds} 秒后再试。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="157"/>
        <source>The application service cannot be reached; try again in a moment ({error}).</source>
        <translation>无法连接应用服务，请稍后再试（{error}）。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="160"/>
        <source>The CRM database cannot be reached; try again in a moment ({error}).</source>
        <translation>无法连接 CRM 数据库，请稍后再试（{error}）。</translation>
    </message>
    <message>
        <location filename="../ui/login_dialog.py" line="162"/>
        <source>The login failed: {error}</source>
        <translation>登录失败：{error}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../ui/main_window.py" line="256"/>
        <source>Cicada — {name} ({agent})</source>
        <translation>Cicada — {name}（{agent}）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="259"/>
        <source>Not ready</source>
        <translation>未就绪</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="260"/>
        <source>Wrap-up</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="260"/>
        <source>Accept</source>
        <translation>接听</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="261"/>
        <source>Reject</source>
        <translation>拒接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="261"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="262"/>
        <source>Hold</source>
        <translation>保持</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="262"/>
        <source>Retrieve</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="263"/>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="263"/>
        <source>Consult</source>
        <translation>咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="264"/>
        <source>Complete transfer</source>
        <translation>完成转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="265"/>
        <source>Conference</source>
        <translation>会议</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="265"/>
        <source>Cancel consult</source>
        <translation>取消咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="266"/>
        <source>Dial</source>
        <translation>拨号</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="266"/>
        <source>Keypad</source>
        <translation>拨号盘</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="266"/>
        <source>End</source>
        <translation>结束</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="269"/>
        <source>Stay in wrap-up: stops the wrap-up timer</source>
        <translation>保持话后处理：停止话后处理计时</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="270"/>
        <source>Blind transfer to an agent, a queue or a number</source>
        <translation>盲转给坐席、队列或号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="271"/>
        <source>Talk to a colleague first, then transfer or conference</source>
        <translation>先与同事沟通，再转接或建立会议</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="272"/>
        <source>Save the interaction record and close the contact</source>
        <translation>保存互动记录并关闭联系</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="278"/>
        <source>Number to dial</source>
        <translation>要拨打的号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="279"/>
        <source>Campaign (optional)</source>
        <translation>营销活动（可选）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="280"/>
        <source>The campaign this call belongs to: its script opens</source>
        <translation>此通话所属的营销活动：将打开其话术</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="282"/>
        <source>Identify Account</source>
        <translation>客户识别</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="282"/>
        <source>Business Data</source>
        <translation>业务数据</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="282"/>
        <source>Interaction History</source>
        <translation>互动历史</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="283"/>
        <source>Interaction Record</source>
        <translation>互动记录</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="283"/>
        <source>Scripts</source>
        <translation>话术脚本</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="283"/>
        <source>Action Box</source>
        <translation>操作箱</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="283"/>
        <source>Inbox</source>
        <translation>收件箱</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="289"/>
        <source>Emails and chats: this desktop was started without the mail queue (cicada desktop --no-mailq).</source>
        <translation>邮件和在线聊天：此桌面启动时未连接邮件队列（cicada desktop --no-mailq）。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="291"/>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="292"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="293"/>
        <source>Sign in again…</source>
        <translation>重新登录…</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="294"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="295"/>
        <source>Search customers</source>
        <translation>搜索客户</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="297"/>
        <source>&amp;Demo</source>
        <translation>演示(&amp;D)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="298"/>
        <source>Simulate a customer&apos;s call (Ctrl+Shift+N)</source>
        <translation>模拟客户来电（Ctrl+Shift+N）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="300"/>
        <source>Simulate a customer&apos;s email (Ctrl+Shift+E)</source>
        <translation>模拟客户邮件（Ctrl+Shift+E）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="302"/>
        <source>Open the web chat as a customer (in the browser)</source>
        <translation>以客户身份打开网页聊天（在浏览器中）</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="303"/>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="346"/>
        <source>Logged out</source>
        <translation>已登出</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="395"/>
        <source>Connected to the CTI gateway</source>
        <translation>已连接 CTI 网关</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="399"/>
        <source>Logged in on another desktop</source>
        <translation>已在另一桌面登录</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="401"/>
        <source>You are logged in to the CTI gateway on another desktop ({why}). This desktop receives no calls until you log in here again.</source>
        <translation>您已在另一桌面登录 CTI 网关（{why}）。在此重新登录之前，此桌面不会接收来电。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="405"/>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="406"/>
        <source>Gateway not connected</source>
        <translation>网关未连接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="408"/>
        <source>The CTI gateway is not reachable ({why}). Reconnecting by itself; your interaction stays editable and nothing you type is lost.</source>
        <translation>无法连接 CTI 网关（{why}）。正在自动重连；当前互动仍可编辑，输入的内容不会丢失。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="417"/>
        <source>Sign in with a new session; the open contact and its drafts stay.</source>
        <translation>以新的会话登录；当前联系及其草稿保持不变。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="424"/>
        <source>Already logged in</source>
        <translation>已登录</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="425"/>
        <source>{why}

Take the session over to this desktop? The other desktop will stop receiving calls.</source>
        <translation>{why}

将登录会话接管到此桌面？另一桌面将不再接收来电。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="430"/>
        <source>Take over here</source>
        <translation>在此接管</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="431"/>
        <source>Not now</source>
        <translation>暂不</translation>
    </message>
</context>
<context>
    <name>OfferBox</name>
    <message>
        <location filename="../ui/inbox_offers.py" line="35"/>
        <source>Offered to you</source>
        <translation>分配给您的工作</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="36"/>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="37"/>
        <source>Accept the selected offer (Alt+A)</source>
        <translation>接受所选工作（Alt+A）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="39"/>
        <source>Reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="40"/>
        <source>Give the selected offer to a colleague (Alt+J)</source>
        <translation>将所选工作转给同事（Alt+J）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="70"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="70"/>
        <source>Chat</source>
        <translation>在线聊天</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="71"/>
        <source>{channel} from {customer}: {subject} ({seconds} s)</source>
        <translation>{customer} 的{channel}：{subject}（{seconds} 秒）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="81"/>
        <source>from {agent}: {note}</source>
        <translation>来自 {agent}：{note}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_offers.py" line="82"/>
        <source>from {agent}</source>
        <translation>来自 {agent}</translation>
    </message>
</context>
<context>
    <name>PartnerHeader</name>
    <message>
        <location filename="../ui/business_data.py" line="138"/>
        <source>Customer:</source>
        <translation>客户：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="138"/>
        <source>No.:</source>
        <translation>编号：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="139"/>
        <source>Segment:</source>
        <translation>细分：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="139"/>
        <source>Owner:</source>
        <translation>负责人：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="140"/>
        <source>Phone:</source>
        <translation>电话：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="140"/>
        <source>Email:</source>
        <translation>邮箱：</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="160"/>
        <source>loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="167"/>
        <source>no confirmed customer</source>
        <translation>未确认客户</translation>
    </message>
    <message>
        <location filename="../ui/business_data.py" line="171"/>
        <source>pool</source>
        <translation>客户池</translation>
    </message>
</context>
<context>
    <name>ReadingPane</name>
    <message>
        <location filename="../ui/inbox_reader.py" line="96"/>
        <source>Load remote images</source>
        <translation>加载远程图片</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="97"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="98"/>
        <source>Open the selected attachment with its program</source>
        <translation>用关联程序打开所选附件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="99"/>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="100"/>
        <source>Work on it</source>
        <translation>开始处理</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="100"/>
        <source>Take</source>
        <translation>领取</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="101"/>
        <source>Reply</source>
        <translation>回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="101"/>
        <source>Reply all</source>
        <translation>全部回复</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="102"/>
        <source>Forward</source>
        <translation>转发</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="102"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="103"/>
        <source>Transfer…</source>
        <translation>转交…</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="103"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="105"/>
        <source>Hand this on to another queue or a colleague (Alt+T)</source>
        <translation>将此会话转交给其他队列或同事 (Alt+T)</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="106"/>
        <source>Retry</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="107"/>
        <source>Send the emails of this conversation that failed again</source>
        <translation>重新发送此会话中发送失败的邮件</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="108"/>
        <source>Make this the contact in the workspace: identify the customer, business data, scripts and the Action Box</source>
        <translation>将其设为工作区中的联系：识别客户、业务数据、话术和操作箱</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="149"/>
        <source>Double-click or Enter to open</source>
        <translation>双击或回车打开</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="190"/>
        <source>{agent} (answer)</source>
        <translation>{agent}（答复）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="191"/>
        <source>{agent} (internal note)</source>
        <translation>{agent}（内部备注）</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="195"/>
        <source>waiting to be sent</source>
        <translation>等待发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="195"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="196"/>
        <source>failed: {error}</source>
        <translation>发送失败：{error}</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="239"/>
        <source>No program opens {name}; save it instead.</source>
        <translation>没有可打开 {name} 的程序，请将其保存。</translation>
    </message>
    <message>
        <location filename="../ui/inbox_reader.py" line="251"/>
        <source>Save attachment</source>
        <translation>保存附件</translation>
    </message>
</context>
<context>
    <name>RecordPage</name>
    <message>
        <location filename="../ui/record_page.py" line="87"/>
        <source>Interaction record</source>
        <translation>互动记录</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="88"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="89"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="90"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="91"/>
        <source>Times</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="92"/>
        <source>Notes handed over</source>
        <translation>转交的备注</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="93"/>
        <source>What the customer wanted, what you did, what was agreed</source>
        <translation>客户的诉求、您的处理、双方的约定</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="94"/>
        <source>End contact</source>
        <translation>结束联系</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="95"/>
        <source>Save the record, close the contact and take the next one (F12)</source>
        <translation>保存记录、关闭联系并接待下一位（F12）</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="96"/>
        <source>Unsaved records from earlier</source>
        <translation>之前未保存的记录</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="97"/>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="98"/>
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="114"/>
        <source>(not set)</source>
        <translation>（未设置）</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="142"/>
        <source>No contact in the workspace.</source>
        <translation>工作区中没有联系。</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="150"/>
        <source>Call from {ani} to {dnis}, queue {queue}, offered at {time}</source>
        <translation>{ani} 呼入 {dnis}，队列 {queue}，{time} 分配</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="173"/>
        <source>waited {w} · talked {t} · on hold {h}</source>
        <translation>等待 {w} · 通话 {t} · 保持 {h}</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="208"/>
        <source>no customer</source>
        <translation>无客户</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="209"/>
        <source>{time}: call from {ani}, {partner}</source>
        <translation>{time}：{ani} 的来电，{partner}</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="222"/>
        <source>Open this record to finish and save it</source>
        <translation>打开此记录以完成并保存</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="223"/>
        <source>End the current contact first</source>
        <translation>请先结束当前联系</translation>
    </message>
</context>
<context>
    <name>ScriptsPage</name>
    <message>
        <location filename="../ui/scripts_page.py" line="156"/>
        <source>Script:</source>
        <translation>话术：</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="157"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="158"/>
        <source>Start the chosen script for this contact</source>
        <translation>为本次联系启动所选话术</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="159"/>
        <source>So far</source>
        <translation>已进行</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="160"/>
        <source>Back</source>
        <translation>上一步</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="161"/>
        <source>The step before; its answer can be changed (Alt+Left)</source>
        <translation>回到上一步，可修改其回答（Alt+←）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="162"/>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="163"/>
        <source>Take the answer and go on (Alt+Right or Ctrl+Enter)</source>
        <translation>记录回答并继续（Alt+→ 或 Ctrl+Enter）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="167"/>
        <source>&amp;Yes</source>
        <translation>是(&amp;Y)</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="168"/>
        <source>&amp;No</source>
        <translation>否(&amp;N)</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="170"/>
        <source>(no date)</source>
        <translation>（无日期）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="209"/>
        <source>No call script runs for this contact.</source>
        <translation>本次联系没有运行中的话术。</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="210"/>
        <source>A call script opens here when a contact starts.</source>
        <translation>联系开始时，话术会显示在这里。</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="223"/>
        <source>End of the script — outcome: {outcome}</source>
        <translation>话术结束 — 结果：{outcome}</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="235"/>
        <source>The call and this script run went to a colleague, who goes on with it; it can no longer be changed here.</source>
        <translation>通话及本次话术已转给同事继续处理，此处已无法再修改。</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="251"/>
        <source>(skipped)</source>
        <translation>（跳过）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="264"/>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="264"/>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="296"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="307"/>
        <source>a number from {low} to {high}</source>
        <translation>{low} 到 {high} 之间的数字</translation>
    </message>
    <message>
        <location filename="../ui/scripts_page.py" line="308"/>
        <source>a number</source>
        <translation>数字</translation>
    </message>
</context>
<context>
    <name>SignInAgainDialog</name>
    <message>
        <location filename="../ui/sign_in_again.py" line="39"/>
        <source>Cicada — sign in again</source>
        <translation>Cicada — 重新登录</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="40"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="41"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="42"/>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="43"/>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="64"/>
        <source>Type your password.</source>
        <translation>请输入您的密码。</translation>
    </message>
    <message>
        <location filename="../ui/sign_in_again.py" line="67"/>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <location filename="../ui/main_window.py" line="640"/>
        <source>Consult</source>
        <translation>咨询</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="640"/>
        <location filename="../ui/transfer_dialog.py" line="57"/>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="642"/>
        <source>Agent</source>
        <translation>坐席</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="643"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="644"/>
        <source>Number</source>
        <translation>号码</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="647"/>
        <source>To</source>
        <translation>转给</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="648"/>
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
        <location filename="../crm_session.py" line="19"/>
        <source>Your account was disabled; ask an administrator.</source>
        <translation>您的账号已被停用，请联系管理员。</translation>
    </message>
    <message>
        <location filename="../crm_session.py" line="17"/>
        <source>Your CRM session has expired. Sign in again to go on; what you type is kept as drafts.</source>
        <translation>您的 CRM 会话已过期。请重新登录以继续；您输入的内容会保存为草稿。</translation>
    </message>
    <message>
        <location filename="../crm_session.py" line="20"/>
        <source>Your password was changed. Sign in again with the new one to go on; what you type is kept as drafts.</source>
        <translation>您的密码已被更改。请用新密码重新登录以继续；您输入的内容会保存为草稿。</translation>
    </message>
    <message>
        <location filename="../crm_session.py" line="22"/>
        <source>Your CRM session has ended. Sign in again to go on; what you type is kept as drafts.</source>
        <translation>您的 CRM 会话已结束。请重新登录以继续；您输入的内容会保存为草稿。</translation>
    </message>
    <message>
        <location filename="../gateway_session.py" line="16"/>
        <source>The CTI gateway restarted; logging in again.</source>
        <translation>CTI 网关已重启，正在重新登录。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="213"/>
        <source>The caller could not be looked up: {error}</source>
        <translation>无法查询来电客户：{error}</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="249"/>
        <source>The customer&apos;s data could not be loaded: {error}</source>
        <translation>无法加载客户数据：{error}</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="320"/>
        <source>There is no call to act on.</source>
        <translation>当前没有可操作的通话。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="369"/>
        <source>Hang up before ending the contact.</source>
        <translation>请先挂断再结束联系。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="381"/>
        <source>Interaction record {id} saved.</source>
        <translation>互动记录 {id} 已保存。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="391"/>
        <source>The interaction record could not be saved yet ({error}); it is kept as a draft and tried again.</source>
        <translation>互动记录暂时无法保存（{error}）；已保存为草稿并将自动重试。</translation>
    </message>
    <message>
        <location filename="../crm_session.py" line="43"/>
        <source>Signed in again.</source>
        <translation>已重新登录。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="429"/>
        <source>End the current contact before restoring an earlier record.</source>
        <translation>请先结束当前联系，再恢复之前的记录。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="175"/>
        <source>the gateway restarted</source>
        <translation>网关已重启</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="176"/>
        <source>the gateway no longer has this call</source>
        <translation>网关上已没有此通话</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="177"/>
        <source>restored from a draft</source>
        <translation>从草稿恢复</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="182"/>
        <source>You did not answer a call in time; you are now Not ready.</source>
        <translation>您未及时接听来电，已切换为“未就绪”。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="183"/>
        <source>You did not answer a consult call; you are now Not ready.</source>
        <translation>您未接听咨询来电，已切换为“未就绪”。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="185"/>
        <source>Your phone {device} could not be reached ({status}).</source>
        <translation>无法连接您的话机 {device}（{status}）。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="186"/>
        <source>Your phone {device} did not take the call ({status}); you are now Not ready.</source>
        <translation>您的话机 {device} 未能接通来电（{status}），已切换为“未就绪”。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="188"/>
        <source>The call from {ani} was lost: the telephony process handling it failed ({reason}).</source>
        <translation>{ani} 的通话已中断：处理该通话的话务进程出现故障（{reason}）。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="190"/>
        <source>Your account was disabled; you are logged out. Ask an administrator.</source>
        <translation>您的账户已被停用，您已被登出。请联系管理员。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="192"/>
        <source>You signed out; this desktop is logged out of the CTI gateway.</source>
        <translation>您已退出登录，本桌面已从 CTI 网关登出。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="193"/>
        <source>Your session has expired; you are logged out. Sign in again.</source>
        <translation>您的会话已过期，您已被登出。请重新登录。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="195"/>
        <source>Your password was changed; you are logged out. Sign in again with the new one.</source>
        <translation>您的密码已更改，您已被登出。请用新密码重新登录。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="197"/>
        <source>Your session has ended; you are logged out. Sign in again.</source>
        <translation>您的会话已结束，您已被登出。请重新登录。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="198"/>
        <source>{supervisor} set you Not ready ({reason}).</source>
        <translation>{supervisor} 已将您设为未就绪（{reason}）。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="199"/>
        <source>{supervisor} set you Not ready ({reason}) once your call ends.</source>
        <translation>{supervisor} 已将您设为未就绪（{reason}），在本次通话结束后生效。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="201"/>
        <source>{supervisor} logged you off the CTI gateway.</source>
        <translation>{supervisor} 已将您从 CTI 网关登出。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="202"/>
        <source>{supervisor} logs you off the CTI gateway once your call ends.</source>
        <translation>{supervisor} 将在本次通话结束后把您从 CTI 网关登出。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="204"/>
        <source>The CTI gateway is stopping: your call with {ani} was ended. Finish its record; this desktop logs in again when the gateway is back.</source>
        <translation>CTI 网关正在停止：您与 {ani} 的通话已结束。请完成该通话的记录；网关恢复后，本桌面会重新登录。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="215"/>
        <source>The CTI gateway did not understand this desktop&apos;s message</source>
        <translation>CTI 网关无法理解此桌面发送的消息</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="216"/>
        <source>The CTI gateway does not know this command; is it older than this desktop?</source>
        <translation>CTI 网关不认识此命令；它的版本是否比此桌面旧？</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="218"/>
        <source>The CTI gateway refused the command&apos;s form; is it older than this desktop?</source>
        <translation>CTI 网关拒绝了此命令的格式；它的版本是否比此桌面旧？</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="220"/>
        <source>The CTI gateway speaks another version of the protocol</source>
        <translation>CTI 网关使用的协议版本不同</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="223"/>
        <source>The message is nested too deeply for the CTI gateway</source>
        <translation>消息嵌套过深，CTI 网关无法读取</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="224"/>
        <source>The CTI gateway is busy; try again in a moment</source>
        <translation>CTI 网关繁忙，请稍后再试</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="226"/>
        <source>The CTI gateway does not answer</source>
        <translation>CTI 网关无响应</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="229"/>
        <source>You are not allowed to do this</source>
        <translation>您无权执行此操作</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="231"/>
        <source>Logins are locked for a while after too many failures</source>
        <translation>登录失败次数过多，暂时被锁定</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="232"/>
        <source>Too many logins; try again later</source>
        <translation>登录过于频繁，请稍后再试</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="234"/>
        <source>This desktop is not logged in to the CTI gateway</source>
        <translation>此桌面未登录 CTI 网关</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="235"/>
        <source>You are logged in to the CTI gateway from another desktop</source>
        <translation>您已在另一台桌面登录 CTI 网关</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="237"/>
        <source>Not possible in the present state of the call or your work mode</source>
        <translation>在当前通话状态或工作状态下无法执行</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="238"/>
        <source>The CTI gateway refused a value</source>
        <translation>CTI 网关拒绝了某个参数值</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="239"/>
        <source>All lines are busy; try again in a moment</source>
        <translation>所有线路忙，请稍后再试</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="240"/>
        <source>No phone is set for you</source>
        <translation>您尚未设置话机</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="241"/>
        <source>Your phone is in use by another agent</source>
        <translation>您的话机正被其他坐席使用</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="242"/>
        <source>There is no such queue</source>
        <translation>该队列不存在</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="243"/>
        <source>You lack the skills the queue needs</source>
        <translation>您不具备该队列所需的技能</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="244"/>
        <source>The CTI gateway no longer has this call</source>
        <translation>CTI 网关上已没有此通话</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="245"/>
        <source>There is no such agent logged in</source>
        <translation>该坐席不存在或未登录</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="246"/>
        <source>The colleague cannot take a call now</source>
        <translation>该同事目前无法接听电话</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="222"/>
        <source>The call&apos;s attached data is too large</source>
        <translation>通话随路数据过大</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="228"/>
        <source>The CTI gateway did not accept your session; sign in again</source>
        <translation>CTI 网关不接受您的会话，请重新登录</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="230"/>
        <source>The CRM database cannot be reached; try again in a moment</source>
        <translation>无法连接 CRM 数据库，请稍后再试</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="225"/>
        <source>The CTI gateway failed to carry out the command</source>
        <translation>CTI 网关执行命令失败</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="247"/>
        <source>The CTI gateway did not confirm this desktop&apos;s events</source>
        <translation>CTI 网关未确认此桌面的事件</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="249"/>
        <source>{meaning} (the gateway said: {detail})</source>
        <translation>{meaning}（网关返回：{detail}）</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="250"/>
        <source>The CTI gateway refused: {detail}</source>
        <translation>CTI 网关拒绝了请求：{detail}</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="433"/>
        <source>The call from {ani} was withdrawn ({reason}).</source>
        <translation>{ani} 的来电已撤回（{reason}）。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="507"/>
        <source>{sender} to queue {queue}: {text}</source>
        <translation>{sender} 致队列 {queue}：{text}</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="510"/>
        <source>{sender} to all agents: {text}</source>
        <translation>{sender} 致全体坐席：{text}</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="524"/>
        <source>Your session was taken over by another desktop ({reason}). This desktop no longer receives calls; use “Log in here” to take the session back.</source>
        <translation>您的登录会话已被另一桌面接管（{reason}）。此桌面不再接收来电；点击“在此登录”可收回会话。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="559"/>
        <source>The call from {ani} was lost ({why}). The interaction record stays open for you to finish.</source>
        <translation>{ani} 的通话已中断（{why}）。互动记录保持打开，请完成填写。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="743"/>
        <source>The record of the call from {ani} was put aside for saving when the next contact arrived.</source>
        <translation>下一位联系到达时，{ani} 来电的记录已暂存待保存。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="844"/>
        <source>The CTI gateway reaches the CRM database again.</source>
        <translation>CTI 网关已重新连接 CRM 数据库。</translation>
    </message>
    <message>
        <location filename="../workbench.py" line="846"/>
        <source>The CTI gateway cannot reach the CRM database: calls go on, and their records are kept and written once it is back. Logging in waits for it.</source>
        <translation>CTI 网关无法连接 CRM 数据库：通话照常进行，通话记录会先保存，数据库恢复后再写入。登录需要等数据库恢复。</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="424"/>
        <location filename="../workbench.py" line="754"/>
        <source>The draft could not be written to disk: {error}</source>
        <translation>草稿无法写入磁盘：{error}</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="520"/>
        <source>A demo customer is calling {dnis} from {ani}.</source>
        <translation>演示客户正在用 {ani} 拨打 {dnis}。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="533"/>
        <source>{name} sent an email: {subject}</source>
        <translation>{name} 发来邮件：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/main_window.py" line="535"/>
        <source>The demo email could not be sent: {error}</source>
        <translation>演示邮件无法发送：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="59"/>
        <source>The call scripts could not be loaded: {error}</source>
        <translation>无法加载话术：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="117"/>
        <source>The call script {script} cannot start: {error}</source>
        <translation>话术 {script} 无法启动：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="140"/>
        <source>The script of the restored record cannot go on: {error}</source>
        <translation>恢复的记录中的话术无法继续：{error}</translation>
    </message>
    <message>
        <location filename="../ui/script_control.py" line="245"/>
        <source>The script run went on with the colleague the call was transferred to; changes made here are not saved ({error}).</source>
        <translation>话术已随通话转给接手的同事继续执行；此处的修改不会保存（{error}）。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="26"/>
        <source>New email from {customer}: {subject}</source>
        <translation>{customer} 的新邮件：{subject}</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="27"/>
        <source>New chat from {customer}: {subject}</source>
        <translation>{customer} 的新聊天：{subject}</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="24"/>
        <source>You signed out: emails and chats stop until you sign in again.</source>
        <translation>您已退出登录：邮件和在线聊天已停止，重新登录后继续。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="25"/>
        <source>Your session has expired: emails and chats stop until you sign in again.</source>
        <translation>您的会话已过期：邮件和在线聊天已停止，重新登录后继续。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="27"/>
        <source>Your account was disabled: emails and chats stop. Ask an administrator.</source>
        <translation>您的账号已被停用：邮件和在线聊天已停止。请联系管理员。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="29"/>
        <source>Your password was changed: emails and chats stop until you sign in again with the new one.</source>
        <translation>您的密码已更改：邮件和在线聊天已停止，请用新密码重新登录。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="31"/>
        <source>Your session has ended: emails and chats stop until you sign in again.</source>
        <translation>您的会话已结束：邮件和在线聊天已停止，重新登录后继续。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="38"/>
        <source>{sender} set you Away for emails: no new email is offered to you until you make yourself available again.</source>
        <translation>{sender} 已将您设为暂不接收邮件：在您重新勾选“接收邮件”之前，不会再向您分配新邮件。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="40"/>
        <source>{sender} set you Away for chats: no new chat is offered to you until you make yourself available again.</source>
        <translation>{sender} 已将您设为暂不接收在线聊天：在您重新勾选“接收在线聊天”之前，不会再向您分配新的聊天。</translation>
    </message>
    <message>
        <location filename="../mail_session.py" line="42"/>
        <source>{sender} set you Away for emails and chats: nothing new is offered to you until you make yourself available again.</source>
        <translation>{sender} 已将您设为暂不接收邮件和在线聊天：在您重新勾选之前，不会再向您分配新的邮件或聊天。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="29"/>
        <source>{agent} transferred to you: {subject}</source>
        <translation>{agent} 转交给您：{subject}</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="32"/>
        <source>The email from {customer} ({subject}) went back to the queue: it was not accepted in time.</source>
        <translation>{customer} 的邮件（{subject}）已退回队列：未及时接受。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="34"/>
        <source>The chat from {customer} went back to the queue: it was not accepted in time.</source>
        <translation>{customer} 的聊天已退回队列：未及时接受。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="38"/>
        <source>The chat from {customer} ended before it was accepted: the customer closed it.</source>
        <translation>{customer} 的聊天在接受前已结束：客户已关闭聊天。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="40"/>
        <source>The chat from {customer} ended before it was accepted: the customer left the page.</source>
        <translation>{customer} 的聊天在接受前已结束：客户已离开页面。</translation>
    </message>
    <message>
        <location filename="../mail_news.py" line="42"/>
        <source>The chat from {customer} went to another queue: the customer&apos;s first message asked for it.</source>
        <translation>{customer} 的聊天已转到其他队列：客户的第一条消息要求如此。</translation>
    </message>
    <message>
        <location filename="../ui/mail_control.py" line="149"/>
        <source>Your email to {to} ({subject}) could not be sent: {error}. Find it under Failed deliveries in the Inbox to send it again.</source>
        <translation>发给 {to} 的邮件（{subject}）未能发送：{error}。可在收件箱的“发送失败”中找到并重新发送。</translation>
    </message>
    <message>
        <location filename="../ui/mail_control.py" line="152"/>
        <source>Your email to {to} ({subject}) could not be sent: {error}.</source>
        <translation>发给 {to} 的邮件（{subject}）未能发送：{error}。</translation>
    </message>
    <message>
        <location filename="../ui/record_page.py" line="204"/>
        <source>{count} unsaved interaction record(s) from an earlier session: restore or discard them on the Interaction Record page (Ctrl+4).</source>
        <translation>有 {count} 条之前会话中未保存的互动记录：请在“互动记录”页面 (Ctrl+4) 恢复或丢弃。</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="29"/>
        <source>The mail queue no longer knows this desktop; it logs in again</source>
        <translation>邮件队列已不认识此桌面，正在重新登录</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="30"/>
        <source>You are not logged in to the mail queue</source>
        <translation>您未登录邮件队列</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="31"/>
        <source>There is no user of that name</source>
        <translation>没有这个名字的用户</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="32"/>
        <source>A supervisor watching takes no emails or chats</source>
        <translation>监控中的主管不接收邮件或会话</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="33"/>
        <source>There is no such channel</source>
        <translation>没有此渠道</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="34"/>
        <source>There is no such mail queue</source>
        <translation>没有此邮件队列</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="35"/>
        <source>This conversation is closed</source>
        <translation>此会话已关闭</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="36"/>
        <source>This conversation is no longer offered to you</source>
        <translation>此会话已不再分配给您</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="37"/>
        <source>A colleague has taken this conversation</source>
        <translation>同事已接手此会话</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="38"/>
        <source>You are not logged in to this conversation&apos;s queue</source>
        <translation>您未登录此会话所在的队列</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="39"/>
        <source>You already work as many conversations of this channel as you may</source>
        <translation>您在此渠道处理的会话已达上限</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="40"/>
        <location filename="../mail_desk.py" line="41"/>
        <source>This conversation is not assigned to you</source>
        <translation>此会话未分配给您</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="42"/>
        <source>Transfer to a queue or to a colleague, not both</source>
        <translation>请转给队列或同事，不能同时转给两者</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="43"/>
        <source>This conversation is already yours</source>
        <translation>此会话已经是您的</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="44"/>
        <source>The colleague is not logged in to the mail queue</source>
        <translation>该同事未登录邮件队列</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="45"/>
        <source>The colleague is not available for this channel</source>
        <translation>该同事在此渠道不可用</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="46"/>
        <source>The colleague already works as many conversations as he may</source>
        <translation>该同事处理的会话已达上限</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="47"/>
        <source>The CRM refused a value</source>
        <translation>CRM 拒绝了一个值</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="48"/>
        <source>The conversation changed meanwhile</source>
        <translation>会话在此期间已更改</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="49"/>
        <source>The CRM has no such record</source>
        <translation>CRM 中没有此记录</translation>
    </message>
    <message>
        <location filename="../mail_desk.py" line="50"/>
        <source>The mail queue did not confirm this desktop&apos;s events</source>
        <translation>邮件队列未确认此桌面的事件</translation>
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
        <location filename="../ui/action_page.py" line="516"/>
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
        <location filename="../ui/action_page.py" line="517"/>
        <location filename="../ui/catalogue.py" line="96"/>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="518"/>
        <source>Unit price</source>
        <translation>单价</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="519"/>
        <source>Total</source>
        <translation>小计</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="528"/>
        <location filename="../ui/catalogue.py" line="97"/>
        <source>Add product</source>
        <translation>添加产品</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="529"/>
        <source>Add a product line (Alt+A)</source>
        <translation>添加产品行 (Alt+A)</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="530"/>
        <location filename="../ui/catalogue.py" line="97"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/action_page.py" line="617"/>
        <source>Order total: {amount} {currency}</source>
        <translation>订单总额：{amount} {currency}</translation>
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
        <location filename="../action_facts.py" line="50"/>
        <source>no contact in the workspace</source>
        <translation>工作区中没有联系</translation>
    </message>
    <message>
        <location filename="../action_facts.py" line="52"/>
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
<context>
    <name>outcomes</name>
    <message>
        <location filename="../ui/catalogue.py" line="118"/>
        <source>Service order {number}: {subject}</source>
        <translation>服务单 {number}：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="119"/>
        <source>Complaint {number}: {subject}</source>
        <translation>投诉 {number}：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="120"/>
        <source>Sales order {number}: {amount} {currency}</source>
        <translation>销售订单 {number}：{amount} {currency}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="121"/>
        <source>Lead {number}: {subject}</source>
        <translation>线索 {number}：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="122"/>
        <source>Opportunity {number}: {subject}</source>
        <translation>商机 {number}：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="123"/>
        <source>Callback {number}: {phone} on {day} {start}-{end}</source>
        <translation>回电 {number}：{day} {start}-{end} 拨打 {phone}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="124"/>
        <source>Email to {to}: {subject}</source>
        <translation>发给 {to} 的邮件：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="125"/>
        <source>Task {number} for {who}: {subject}</source>
        <translation>给 {who} 的任务 {number}：{subject}</translation>
    </message>
    <message>
        <location filename="../ui/catalogue.py" line="126"/>
        <source>Opened {link}</source>
        <translation>已打开 {link}</translation>
    </message>
</context>
</TS>
