"""The one catalogue of words shown to people, in zh and en: the engine's, the web app's and the CLI's.

Each entry is a :class:`~engine.common.text.Text` under a dotted key whose first part says who reads it:
``orders.*``, ``outbox.*``, ``forms.*``, ``errors.*`` … the web app's pages; ``term.<kind>.<code>`` the
names of the codes the shipped departments use (channels, departments, a step's reason); ``form.*`` a
submitted form's messages, with ``format.*`` and ``type.*`` the words that fill them; ``order_field.*`` the
order's own fields; ``definition.*``, ``rules.*`` and ``ui.*`` the words of the checks of workflow, rule
and UI files. A template has ``{name}`` placeholders, the same in both languages (a test holds it so),
filled with :meth:`str.format` (the form messages with ``engine.forms.messages.render``).

A plain mapping rather than gettext catalogues (.po/.mo): every entry is written in both languages side by
side and keyed by what it is, neither language is the source of the other, and the words are read by the
engine as typed data (a ``Text``) as much as by the pages; the leaf layer imports nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from engine.common.text import Text

__all__ = ["WORDS", "term", "translate", "word", "words_of"]

WORDS: Mapping[str, Text] = MappingProxyType(
    {
        # --- the web app's pages: t('key') in a template, translate(key, lang) in a view
        "app.title": Text("OrderLoom 订单流程引擎", "OrderLoom order-process engine"),
        "home.heading": Text("部门与流程", "Departments and workflows"),
        "home.department": Text("部门", "Department"),
        "home.workflow": Text("工作流", "Workflow"),
        "home.version": Text("版本", "Version"),
        "home.orders": Text("订单数", "Orders"),
        "home.by_state": Text("按状态", "By state"),
        "home.empty": Text(
            "还没有发布任何工作流。运行 orderloom demo 载入演示数据。",
            "No workflow is published yet. Run `orderloom demo` to load the demo data.",
        ),
        "lang.switch": Text("English", "中文"),
        "auth.login": Text("登录", "Log in"),
        "auth.name": Text("用户名", "User name"),
        "auth.password": Text("密码", "Password"),
        "auth.submit": Text("登录", "Log in"),
        "auth.logout": Text("退出登录", "Log out"),
        "auth.inactive": Text(
            "此账号已停用：请联系您部门的管理员。",
            "This account is deactivated: ask an admin of your department.",
        ),
        "auth.failed": Text(
            "用户名或密码不正确，请重新输入。", "The user name or the password is wrong. Try again."
        ),
        "auth.throttled": Text(
            "登录失败次数过多，已暂时停止登录。请约 {minutes} 分钟后再试。",
            "Too many failed logins: logging in is paused. Try again in about {minutes} minute(s).",
        ),
        "auth.busy": Text(
            "服务器正在核对其他登录，您的密码未被核对。请几秒后再试。",
            "The server is busy checking other logins and did not check your password. Try again in a "
            "few seconds.",
        ),
        "orders.new": Text("新建订单", "New order"),
        "orders.list": Text("订单列表", "Orders"),
        "orders.go": Text("打开订单号", "Open order number"),
        "orders.open": Text("打开", "Open"),
        "orders.go_not_found": Text(
            "找不到订单 {typed}：没有这个订单号，或它不属于您的部门",
            "No order {typed}: there is no such order number, or the order is not of your departments",
        ),
        "orders.go_not_a_number": Text(
            "「{typed}」不是订单号：订单号是数字，如 294",
            "“{typed}” is not an order number: order numbers are digits, such as 294",
        ),
        "orders.filtered": Text("筛选", "Showing"),
        "orders.all": Text("全部订单", "all orders"),
        "orders.none_listed": Text("没有符合条件的订单。", "No order matches."),
        "orders.number": Text("订单号", "Order"),
        "orders.state": Text("状态", "State"),
        "orders.channel": Text("渠道", "Channel"),
        "orders.updated": Text("更新时间", "Updated"),
        "orders.total": Text("订单金额（元）", "Total (CNY)"),
        "search.kind.number": Text("订单号", "order number"),
        "search.kind.mobile": Text("手机号", "mobile"),
        "search.kind.mobile_tail": Text("手机尾号", "mobile ending"),
        "search.kind.name": Text("姓名", "name"),
        "search.kind.waybill": Text("运单号", "waybill"),
        "search.kind.payment_ref": Text("支付流水号", "payment reference"),
        "orders.search": Text("搜索", "Search"),
        "orders.find": Text("查找", "Find"),
        "orders.searched": Text("搜索「{q}」", "search “{q}”"),
        "orders.batch.needs_both": Text(
            "选定一个流程和它的一个状态后，即可勾选订单并对它们一并执行一个操作。",
            "Choose one workflow and one of its states to select orders and take one step on them all.",
        ),
        "orders.search_hint": Text(
            "订单号、手机号或其尾号 4 位、姓名（全名）、运单号、支付流水号",
            "order number, mobile or its last 4 digits, full name, waybill, payment reference",
        ),
        "orders.search_placeholder": Text("如 5678 或 张伟", "e.g. 5678 or 张伟"),
        # a condition told in words (engine/rules/labels.py): time since a moment, and comparisons
        "rules.time_unit.days_since": Text("天", "days"),
        "rules.time_unit.hours_since": Text("小时", "hours"),
        "rules.time_unit.minutes_since": Text("分钟", "minutes"),
        "rules.compare.lt": Text("少于", "is less than"),
        "rules.compare.lte": Text("不多于", "is at most"),
        "rules.compare.gt": Text("多于", "is more than"),
        "rules.compare.gte": Text("不少于", "is at least"),
        "rules.compare.eq": Text("为", "is"),
        "rules.compare.not_eq": Text("不是", "is not"),
        "rules.compare.in": Text("属于", "is one of"),
        "rules.compare.not_in": Text("不属于", "is none of"),
        "orders.search_scope": Text(
            "搜索只按部门筛选，其他筛选条件不适用。",
            "A search is narrowed by department only; the other filters do not apply to it.",
        ),
        "orders.filters": Text("筛选条件", "Filters"),
        "orders.department": Text("部门", "Department"),
        "orders.workflow": Text("流程", "Workflow"),
        "orders.any": Text("全部", "Any"),
        "orders.created_from": Text("下单日期从", "Created from"),
        "orders.created_to": Text("下单日期至", "Created until"),
        "orders.amount_from": Text("金额不低于（元）", "Amount from (CNY)"),
        "orders.amount_to": Text("金额不高于（元）", "Amount up to (CNY)"),
        "orders.sort": Text("排序", "Sort"),
        "orders.sort.newest": Text("最新下单在前", "Newest first"),
        "orders.sort.oldest": Text("最早下单在前", "Oldest first"),
        "orders.sort.updated": Text("最近更新在前", "Recently updated"),
        "orders.sort.amount_high": Text("金额从高到低", "Amount, high to low"),
        "orders.sort.amount_low": Text("金额从低到高", "Amount, low to high"),
        "orders.apply": Text("查看", "Show"),
        "orders.clear": Text("清除条件", "Clear"),
        "orders.matched": Text("匹配", "Matched"),
        "orders.created_at": Text("下单时间", "Created"),
        "orders.not_read": Text(
            "有条件无法识别，列表未按它筛选：请看标出的栏位。",
            "A value could not be read and the list is not filtered by it: see the marked field.",
        ),
        "orders.newer": Text("较新的订单", "Newer orders"),
        "orders.older": Text("较早的订单", "Older orders"),
        "outbox.newer": Text("较新的消息", "Newer messages"),
        "outbox.older": Text("较早的消息", "Older messages"),
        "orders.create": Text("创建订单", "Create the order"),
        "orders.created": Text("创建订单", "Order created"),
        # approval steps (engine/runtime/approvals.py, web/approvals.py)
        "approval.heading": Text("审批", "Approval"),
        "approval.sign.any": Text("或签：任一审批人通过即可", "Any one approver approves"),
        "approval.sign.all": Text("会签：每位审批人都须通过", "Every approver must approve"),
        "approval.sign.n": Text("须 {n} 位审批人通过", "{n} approvers must approve"),
        "approval.progress": Text("已通过 {approved}/{required}", "{approved} of {required} approved"),
        "approval.progress.any": Text(
            "已通过 {approved} 人；{n} 位审批人中任一人通过即可",
            "{approved} approved; any one of {n} may approve",
        ),
        # an approver added by another (加签) yet to sign: the order waits for them
        "approval.progress.added": Text(
            "已通过 {approved} 人，等待加签的 {who} 审批", "approved by {approved}; waiting for {who}"
        ),
        "approval.added.after": Text("{who}", "{who}, added after"),
        "approval.added.before": Text("{who}", "{who}, added before"),
        "approval.deadline": Text("截止 {at}（{left}）", "Due {at} ({left})"),
        "approval.overdue": Text("截止 {at}（已超时）", "Due {at} (overdue)"),
        "approval.timeout.remind": Text("超时后提醒审批人", "Then the approvers are reminded"),
        "approval.timeout.approve": Text("超时后自动通过", "Then it is approved automatically"),
        "approval.timeout.return": Text("超时后退回", "Then the order is returned"),
        "approval.timeout.escalate": Text("超时后升级", "Then it is escalated"),
        "approval.role": Text("{role}（任一人）", "{role} (any one)"),
        "approval.role.held": Text("{role}（任一人：{who}）", "{role} (any one of: {who})"),
        "approval.role.nobody": Text(
            "{role}（无人担任此角色，无人可审批：请管理员为部门指派）",
            "{role} (nobody holds this role, so nobody can sign: ask an admin to give it to someone)",
        ),
        "approval.added_by": Text("由 {who} 加签", "added by {who}"),
        "approval.transferred_by": Text("由 {who} 转交", "transferred by {who}"),
        "approval.escalated": Text("超时升级", "escalated on timeout"),
        "approval.status.pending": Text("待审批", "Pending"),
        "approval.status.waiting": Text("等待加签人", "Waiting for the added approver"),
        "approval.status.approved": Text("已通过", "Approved"),
        "approval.status.declined": Text("已驳回", "Declined"),
        "approval.status.transferred": Text("已转交", "Transferred"),
        "approval.status.returned": Text("已退回", "Returned"),
        "approval.status.cancelled": Text("已取消", "Cancelled"),
        "approval.status.expired": Text("已超时", "Timed out"),
        "approval.status.escalated": Text("已升级", "Escalated"),
        "approval.comment": Text("意见", "Comment"),
        "approval.user": Text("用户（加签或转交给谁）", "User (to add or transfer to)"),
        "approval.choose": Text("请选择…", "Choose…"),
        "approval.add_either": Text("加签（在我之前或之后）", "Add an approver (before or after me)"),
        "approval.decline_ask": Text("驳回…", "Decline…"),
        "approval.decline_confirm": Text("确认驳回", "Confirm the decline"),
        "approval.decline_to": Text(
            "驳回后订单将转到「{state}」，不能撤回。请先在上方的意见中写明理由。",
            "Once declined, the order goes to “{state}”; it cannot be undone. "
            "Say why in the comment above first.",
        ),
        "approval.decline_ends": Text(
            "驳回会结束此审批，不能撤回。请先在上方的意见中写明理由。",
            "A decline ends this approval; it cannot be undone. Say why in the comment above first.",
        ),
        "approval.return_hint": Text("退回须在意见中写明理由。", "A return needs a reason in the comment."),
        "approval.return_to": Text("退回到", "Return to"),
        "approval.approve": Text("通过", "Approve"),
        "approval.own_order": Text(
            "您创建了此订单，不能审批它：可转交给另一位审批人或退回",
            "You created this order and cannot approve it: transfer it to another approver, or return it",
        ),
        "approval.decline": Text("驳回", "Decline"),
        "approval.add_before": Text("加签（在我之前）", "Add an approver before me"),
        "approval.add_after": Text("加签（在我之后）", "Add an approver after me"),
        "approval.transfer": Text("转交", "Transfer"),
        "approval.return": Text("退回", "Return"),
        "approval.refused": Text("审批未能完成", "The approval action was refused"),
        "approval.back": Text("返回订单", "Back to the order"),
        "approval.unknown_action": Text("未知的审批操作 {action}", "unknown approval action {action}"),
        "approval.done.approve": Text("已同意。", "Approved."),
        "approval.done.decline": Text("已驳回。", "Declined."),
        "approval.done.add_before": Text(
            "已加签 {who}：{who} 先审批，之后轮到您。",
            "{who} added: they approve first, then it is your turn.",
        ),
        "approval.done.add_after": Text(
            "已同意并加签 {who}：还需 {who} 审批。", "Approved, and {who} added: they must approve too."
        ),
        "approval.done.transfer": Text("已转交给 {who}。", "Handed over to {who}."),
        "approval.done.return": Text("已回退到“{state}”。", "Returned to “{state}”."),
        "approval.event.approval.approve": Text("审批通过", "Approved"),
        "approval.event.approval.decline": Text("审批驳回", "Declined"),
        "approval.event.approval.add": Text("加签", "Approver added"),
        "approval.event.approval.transfer": Text("转交", "Transferred"),
        "approval.event.approval.return": Text("退回", "Returned"),
        "approval.event.approval.timeout": Text("审批超时", "Approval timed out"),
        "orders.order": Text("订单 #{id}", "Order #{id}"),
        "orders.actions": Text("可执行的操作", "What you can do now"),
        "orders.no_actions": Text("当前没有您可执行的操作。", "There is nothing for you to do on it now."),
        "orders.refused_step": Text("{action}：{reason}", "{action}: {reason}"),
        "orders.approval_actions": Text("请在上方的审批中处理此订单。", "Act on it in the approval above."),
        "orders.record_actions": Text("请在下方的记录上处理此订单。", "Take your step on its records below."),
        "orders.data": Text("订单信息", "Order details"),
        "orders.records": Text("支付、发货等记录", "Payments, shipments and other records"),
        "orders.record.title": Text("{kind} #{number}", "{kind} #{number}"),
        "orders.record.no_steps": Text("无可执行的操作", "Nothing to do on it"),
        "orders.record.confirm": Text(
            "确认对{record}执行“{action}”？此操作不能撤回。",
            "Do “{action}” on {record}? It cannot be undone.",
        ),
        "orders.record.confirm_ask": Text("{action}…", "{action}…"),
        "orders.record.confirm_button": Text("确认{action}", "Confirm: {action}"),
        "orders.record.added": Text("新增{kind}", "{kind} added"),
        "orders.record.refused": Text("{record}：{reason}", "{record}: {reason}"),
        "orders.credit": Text("客户信用", "Account credit"),
        "orders.credit.limit": Text("信用额度（元）", "Credit limit (CNY)"),
        "orders.credit.owed": Text("欠款，不含本单（元）", "Owed besides this order (CNY)"),
        # what is owed, when part of it is the account's opening balance (期初欠款)
        "orders.credit.owed_opening": Text(
            "{owed}（含期初欠款 {opening}）", "{owed} (opening balance {opening} included)"
        ),
        "orders.credit.this_order": Text("本单未付（元）", "Unpaid on this order (CNY)"),
        "orders.credit.left": Text("剩余信用额度（元）", "Credit left (CNY)"),
        "orders.original": Text("原订单", "Original order"),
        "orders.original.heading": Text("{workflow} #{id}", "{workflow} #{id}"),
        "orders.original.placed": Text("下单时间", "Placed"),
        "orders.original.delivered": Text("签收时间", "Delivered"),
        "orders.original.return_by": Text("退货截止时间", "Return by"),
        "orders.original.state": Text("状态", "State"),
        "orders.original.customer": Text("客户", "Customer"),
        "orders.original.mobile": Text("手机号", "Mobile number"),
        "orders.original.address": Text("收货地址", "Delivery address"),
        "orders.original.paid": Text("已付（元）", "Paid (CNY)"),
        "orders.original.refunded": Text("已退（元）", "Refunded (CNY)"),
        "orders.original.return_authorized": Text(
            "其退货已核准（元）", "Authorized for its own return (CNY)"
        ),
        "orders.original.line": Text("商品", "Item"),
        "orders.original.qty": Text("数量", "Quantity"),
        "orders.original.price": Text("单价（元）", "Unit price (CNY)"),
        "orders.original.left": Text("尚可退", "Left to return"),
        "orders.original.refunded_about": Text("售后已退（元）", "Refunded by after-sales (CNY)"),
        "orders.about.refunded_total": Text("售后已退 {amount}", "{amount} CNY refunded by after-sales"),
        "orders.records.refunded_about": Text(
            "售后已退 {amount}（售后申请退回，不在以上已退款中）",
            "{amount} CNY refunded by after-sales (by the requests, not in Refunded above)",
        ),
        "orders.original.others": Text("关于该订单的其他申请", "Other requests about it"),
        "orders.original.fill": Text("从原订单填写", "Fill from the order"),
        "orders.original.fill_hint": Text(
            "填写原订单号后，客户、手机号、地址、签收时间和商品会从原订单填入，仍可修改。",
            "Type the original order's number: the customer, mobile, address, delivery time and items are "
            "filled from it, and you can still change them.",
        ),
        "orders.original.filled": Text(
            "已从原订单 #{id} 填入，请核对客户、地址和商品。",
            "Filled from order #{id}: check the customer, address and items.",
        ),
        "orders.about": Text("关于此订单的申请", "Requests about this order"),
        "orders.about.number": Text("编号", "Number"),
        "orders.about.kind": Text("类型", "Type"),
        "orders.about.state": Text("状态", "State"),
        "orders.about.agreed": Text("同意退款（元）", "Refund agreed (CNY)"),
        "orders.about.refunded": Text("已退款（元）", "Refunded (CNY)"),
        "orders.timeline": Text("处理记录", "Timeline"),
        "orders.yes": Text("是", "yes"),
        "orders.none": Text("无", "none"),
        "orders.no": Text("否", "no"),
        "orders.step_shows": Text("本步骤涉及", "What this step acts on"),
        "orders.confirm": Text(
            "确认对此订单执行“{action}”？当前状态：{state}。",
            "Do “{action}” on this order? It is now: {state}.",
        ),
        "orders.leads_to": Text(
            "执行「{action}」后，订单将转到「{state}」。", "After “{action}” the order goes to “{state}”."
        ),
        "orders.leads_to_final": Text(
            "执行「{action}」后，订单将转到「{state}」，此后不能再更改。",
            "After “{action}” the order goes to “{state}”, for good: it cannot be changed afterwards.",
        ),
        "orders.leads_to_then": Text(
            "执行「{action}」后，订单将转到「{state}」；{then}。",
            "After “{action}” the order goes to “{state}”; {then}.",
        ),
        "orders.leads_to_stays_then": Text(
            "执行「{action}」后，订单仍为「{state}」；{then}。",
            "After “{action}” the order stays “{state}”; {then}.",
        ),
        "orders.then_auto": Text(
            "若{auto}的条件成立，将随即自动转到{next}",
            "if {auto} holds then, it goes on to {next} by itself at once",
        ),
        # an automatic step that leaves the order where the step took it (a code issued): its state once
        "orders.then_auto_stays": Text(
            "若{auto}的条件成立，将随即自动执行", "if {auto} holds then, it is taken by itself at once"
        ),
        "orders.then_either": Text("或", " or "),
        "orders.then_or": Text("；", "; "),
        "orders.quoted": Text("「{name}」", "“{name}”"),
        "orders.batch.leads_to_then": Text(
            "执行「{action}」后，这些订单将转到「{state}」；{then}。",
            "After “{action}” these orders go to “{state}”; {then}.",
        ),
        "orders.batch.leads_to_stays_then": Text(
            "执行「{action}」后，这些订单仍为「{state}」；{then}。",
            "After “{action}” these orders stay “{state}”; {then}.",
        ),
        "orders.batch.leads_to_either": Text(
            "执行「{action}」后，这些订单将视各自情况转到{states}。",
            "After “{action}” these orders go to {states}, as each one's case decides.",
        ),
        "orders.batch.leads_to": Text(
            "执行「{action}」后，这些订单将转到「{state}」。",
            "After “{action}” these orders go to “{state}”.",
        ),
        "orders.batch.leads_to_final": Text(
            "执行「{action}」后，这些订单将转到「{state}」，此后不能再更改。",
            "After “{action}” these orders go to “{state}”, for good: they cannot be changed afterwards.",
        ),
        "orders.conflict": Text(
            "提交未成功：在您填写期间，此订单已被他人更新。请先查看订单的最新状态，再决定是否重新提交。",
            "Not submitted: someone else changed this order while you were filling in the form. Look "
            "at the order as it is now before you submit again.",
        ),
        "orders.same_again.title": Text("这张订单刚刚已经创建", "This order was created a moment ago"),
        "orders.same_again": Text(
            "{when}已用完全相同的内容创建了订单 {order}，"
            "这次没有再创建（多半是返回上一页后又提交了一次）。如确需再建一张同样的订单，"
            "请点「仍然新建一单」。",
            "Order {order} was created with exactly these details {when}, so no new order was made "
            "(most likely the page was sent again after going back). To create another order like it, "
            "press “Create another order anyway”.",
        ),
        "orders.same_again.now": Text("刚才", "just now"),
        "orders.same_again.minutes": Text("{n} 分钟前", "{n} min ago"),
        "orders.same_again.button": Text("仍然新建一单", "Create another order anyway"),
        "orders.submitted_before": Text(
            "此页面已经提交过，订单已创建；内容改动后未再次创建。如确需另建一张订单，请再次提交。",
            "This page was submitted before and its order created; the changed form was not sent "
            "again. Submit once more to create another order.",
        ),
        "orders.no_lock_version.title": Text("无法提交此操作", "The step was not taken"),
        "orders.no_lock_version": Text(
            "提交的内容缺少订单版本（_lock_version），无法确认订单在您打开页面后未被他人更改，"
            "未做任何更改。请重新打开订单页面，再执行此操作。",
            "What was sent lacks the order's version (_lock_version), so a change made by someone else "
            "since the page was opened could not be ruled out; nothing was changed. Open the order's "
            "page again and take the step from there.",
        ),
        "orders.may_not_create.title": Text("无权创建此类订单", "Not allowed to create these orders"),
        "orders.may_not_create": Text(
            "创建此类订单需要以下角色之一：{roles}。您的账号没有这些角色。",
            "Creating these orders takes one of these roles: {roles}. Your login has none of them.",
        ),
        "orders.bad_lock_version.title": Text("无法提交此操作", "The step was not taken"),
        "orders.bad_lock_version": Text(
            "提交的订单版本（_lock_version）“{sent}”不是有效的版本号，"
            "无法确认订单在您打开页面后未被他人更改，未做任何更改。请重新打开订单页面，再执行此操作。",
            "The order's version that was sent (_lock_version) “{sent}” is not a version, so a change "
            "made by someone else since the page was opened could not be ruled out; nothing was "
            "changed. Open the order's page again and take the step from there.",
        ),
        "orders.reload": Text("查看订单的最新状态", "See the order as it is now"),
        "orders.not_now.title": Text("此操作现在不可用", "Not available now"),
        "orders.not_now": Text(
            "订单 #{order} 现在是“{state}”，不能执行“{action}”。它可能已经办理过，或已被他人处理。",
            "Order #{order} is now “{state}”: “{action}” cannot be done on it. It may have been done "
            "already, or by someone else.",
        ),
        # --- the order page says why (engine/runtime/order_why.py)
        "orders.version": Text("第 {version} 版", "version {version}"),
        "orders.why.said": Text("{outcome}：{reason}", "{outcome}: {reason}"),
        # the top of the order page: why it is where it is, who acts next, the queue it waits in
        "orders.here": Text("为何在此", "Why here"),
        "orders.here.approval": Text("为何需要审批", "Why it needs approval"),
        "orders.here.step": Text("{action}（{actor}）", "{action} ({actor})"),
        "orders.here.step_said": Text("{action}（{actor}）：{said}", "{action} ({actor}): {said}"),
        "orders.here.step_sent": Text("{action}（{actor}）· {said}", "{action} ({actor}) · {said}"),
        "orders.said": Text("{label}：{value}", "{label}: {value}"),
        # a step that corrected what the order held: each field old → new, a list of rows row by row
        "orders.changed": Text("{label}：{old} → {new}", "{label}: {old} → {new}"),
        "orders.changed.field": Text("{label} {old} → {new}", "{label} {old} → {new}"),
        "orders.changed.row": Text("{row}：{changes}", "{row}: {changes}"),
        "orders.changed.added": Text("{row}：新增（{values}）", "{row}: added ({values})"),
        "orders.changed.removed": Text("{row}：已删除", "{row}: removed"),
        "orders.stayed": Text("仍为 {state}", "still {state}"),
        "orders.here.next": Text("下一步由 {who} 处理", "Next: {who}"),
        "orders.here.queue": Text("在队列 {queue} 中等待", "waits in the queue {queue}"),
        "orders.why.warehouse": Text("发货仓", "Warehouse"),
        "orders.why.carrier": Text("承运商", "Carrier"),
        "orders.why.split": Text("拆单发货", "Split across"),
        "orders.why.migrated": Text("迁移到第 {version} 版", "Moved to version {version}"),
        "orders.why.migrated_somewhere": Text("迁移到新版本", "Moved to another version"),
        "orders.why.actor.timer": Text("定时器", "timer"),
        "orders.why.actor.system": Text("系统", "the system"),
        "orders.why.actor.watch": Text("风险监控", "the risk watch"),
        "orders.needs_role": Text("需要角色：{roles}", "Needs the role {roles}"),
        # a step whose rows of goods (x-unclaimed) the orders about the order name all of
        "orders.all_claimed": Text(
            "没有可退商品：{orders} 已申请全部商品", "Nothing left to return: {orders} names it all"
        ),
        "orders.all_claimed_many": Text(
            "没有可退商品：{orders} 已申请全部商品", "Nothing left to return: {orders} name it all"
        ),
        "orders.timers": Text("计时中", "Timers running"),
        "orders.timer": Text("{at} {step}（{reason}）— {left}", "{step} at {at} ({reason}) — {left}"),
        "orders.timer.no_reason": Text("{at} {step} — {left}", "{step} at {at} — {left}"),
        # a timer at a moment the order holds (at: order.return_by): the day it falls on
        "orders.timer.at": Text("于 {day} 自动{step} — {left}", "{step} by itself on {day} — {left}"),
        "orders.timer.unset": Text(
            "未设定自动{step}：{at} 尚无值", "{step} by itself: not set, {at} holds no moment yet"
        ),
        "orders.timer.unset_why": Text("未设定自动{step}：{why}", "{step} by itself: not set, {why}"),
        "orders.timer.when": Text("届时条件仍成立才执行：{when}", "only if this still holds then: {when}"),
        # a timer whose condition does not hold now, judged as the worker judges it when due: on the order
        # page under its condition, on my work's row after its due line
        "orders.timer.off": Text(
            "当前条件不成立，到期时不会执行",
            "its condition does not hold now: it will not fire unless it does by then",
        ),
        # how long until a timer is due (time_span): "还剩 {span}" on the order page, "{span}后" on my work
        "orders.span.minutes": Text("{n} 分钟", "{n} min"),
        "orders.span.hours": Text("{h} 小时 {m} 分钟", "{h} h {m} min"),
        "orders.span.days": Text("{d} 天 {h} 小时", "{d} d {h} h"),
        "orders.span.whole_days": Text("{d} 天", "{d} d"),
        "orders.timer.left": Text("还剩 {span}", "{span} left"),
        "orders.timer.due": Text("已到期，即将执行", "due now"),
        # an approval's timeout (approval: timeout: then) by what it does
        "orders.timer.remind": Text("审批超时提醒", "Approval timeout: the approvers are reminded"),
        "orders.timer.approve": Text("审批超时：自动通过", "Approval timeout: approved automatically"),
        "orders.timer.return": Text("审批超时：退回到 {state}", "Approval timeout: returned to {state}"),
        "orders.timer.escalate": Text("审批超时：升级给 {role}", "Approval timeout: escalated to the {role}"),
        # a guard's refusal beside the field it read: "到账金额 4,900.00 少于订单金额 5,128.00"
        "orders.field_refused": Text("{left} {op}{right}", "{left} {op} {right}"),
        "orders.op.ge": Text("少于", "is less than"),
        "orders.op.gt": Text("不大于", "is not more than"),
        "orders.op.le": Text("多于", "is more than"),
        "orders.op.lt": Text("不小于", "is not less than"),
        "orders.op.eq": Text("不等于", "is not"),
        "orders.op.ne": Text("等于", "equals"),
        "outbox.title": Text("发件箱", "Outbox"),
        # --- the studio (工作室): a department's admins edit and publish its definitions
        "studio.title": Text("工作室", "Studio"),
        "studio.heading": Text("工作室：{department}", "Studio: {department}"),
        "studio.choose": Text("选择要管理的部门", "Choose a department to manage"),
        "studio.none": Text("您不是任何部门的管理员。", "You are an admin of no department."),
        "studio.files": Text("定义文件", "Definition files"),
        "studio.file": Text("文件", "File"),
        "studio.kind": Text("类型", "Kind"),
        "studio.kind.workflow": Text("工作流", "Workflow"),
        "studio.kind.form": Text("表单", "Form"),
        "studio.kind.ui": Text("表单布局", "Form layout"),
        "studio.kind.rules": Text("规则文件", "Rule file"),
        "studio.draft": Text("草稿", "Draft"),
        "studio.draft.none": Text("无草稿", "No draft"),
        "studio.draft.open": Text(
            "草稿（第 {revision} 稿，{who} 于 {at}）", "Draft (revision {revision}, {who}, {at})"
        ),
        "studio.draft.awaiting_approval": Text(
            "待审批（{who} 提交，第 {revision} 稿）",
            "Awaiting approval (submitted by {who}, revision {revision})",
        ),
        "studio.draft.published": Text("草稿第 {revision} 稿已发布", "Draft revision {revision} published"),
        "studio.draft.discarded": Text("草稿第 {revision} 稿已放弃", "Draft revision {revision} discarded"),
        "studio.kind.cases": Text("测试用例", "Cases"),
        "studio.event.discard": Text("放弃草稿", "discarded a draft"),
        "studio.event.withdraw": Text("撤回审批", "withdrew from approval"),
        "studio.event.send_back": Text("退回修改", "sent back"),
        "studio.event.together_with": Text("（与 {path} 一同发布）", "(published with {path})"),
        "studio.flow.discard": Text("放弃草稿…", "Discard the draft…"),
        "studio.flow.discard_title": Text("放弃 {path} 的草稿", "Discard the draft of {path}"),
        "studio.flow.discard_question": Text(
            "放弃第 {revision} 稿（{who}，{at}）并恢复为已发布的文本？各稿仍可在草稿历史中查看。",
            "Discard revision {revision} ({who}, {at}) and go back to the published text? Every revision "
            "stays readable in the draft history.",
        ),
        "studio.flow.discard_confirm": Text("放弃草稿", "Discard the draft"),
        "studio.flow.discard_cancel": Text("保留草稿", "Keep the draft"),
        "studio.flow.discard_loses": Text(
            "放弃后不再生效的修改（相对已发布的文本）", "What discarding drops (against the published text)"
        ),
        "studio.flow.discard_submitted": Text(
            "第 {revision} 稿已由 {who} 提交审批：须由提交者撤回后才能放弃。",
            "Revision {revision} is submitted for approval by {who}: it is discarded only once its "
            "submitter withdraws it.",
        ),
        "studio.flow.no_draft": Text(
            "没有可放弃的草稿：文件现为已发布的文本。",
            "There is no draft to discard: the file holds its published text.",
        ),
        "studio.flow.withdraw": Text("撤回审批", "Withdraw from approval"),
        "studio.flow.send_back": Text("退回修改", "Send back"),
        "studio.flow.sent_back": Text(
            "{who} 于 {at} 退回了此草稿：{why}。修改后请重新提交审批。",
            "{who} sent this draft back on {at}: {why}. Change it and submit it again.",
        ),
        "studio.flow.send_back_why": Text(
            "退回的原因（编写者会看到）", "Why it is sent back (its writer reads it)"
        ),
        "studio.flow.wrote_revisions": Text(
            "文件上次发布以来，您编写了此草稿的第 {revisions} 稿：须由未编写过其中任何一稿的管理员批准。",
            "You wrote revision(s) {revisions} of this draft since the file was last published: an admin "
            "who wrote none of its revisions approves it.",
        ),
        "studio.flow.approval_diff": Text(
            "批准将发布的修改：已发布的文本 → 第 {revision} 稿",
            "What approving publishes: the published text → revision {revision}",
        ),
        "studio.flow.rollback_draft": Text(
            "此草稿是回滚：{who} 提交，将 {workflow} 的此文件恢复为第 {version} 版的文本。",
            "This draft is a rollback: submitted by {who}, it puts back this file's text of {workflow} "
            "version {version}.",
        ),
        "studio.flow.rollback_submitted": Text(
            "回滚到第 {version} 版，已提交审批", "to version {version}, submitted for approval"
        ),
        "studio.flow.rollback_of": Text(
            "回滚：{workflow} 第 {version} 版", "rollback: {workflow} version {version}"
        ),
        "studio.flow.rollback_done": Text(
            "已起草第 {version} 版的文本并提交审批，另一位管理员批准后发布：",
            "Version {version}'s texts are drafted and submitted for approval; another admin's approval "
            "publishes them:",
        ),
        "studio.flow.cases_console": Text(
            "在规则控制台中运行这些用例", "Run these cases in the rule console"
        ),
        "studio.flow.cases_versions_link": Text("用例文件的各版本", "Versions of the cases file"),
        "studio.flow.cases_versions": Text("{path} 的版本", "Versions of {path}"),
        "studio.flow.cases_versions_about": Text(
            "用例文件不属于任何流程的版本：每次发布都成为本部门此文件的当前文本，规则控制台和用例运行从此读取它。",
            "A cases file belongs to no workflow's version: each publish makes its text the department's "
            "current one, which the rule console and the cases' runs read from then on.",
        ),
        "studio.flow.cases_versions_none": Text(
            "尚未从工作室发布过：用例读的是部署时带的文件。",
            "Not published from the studio yet: the cases are read from the file under the definitions root.",
        ),
        "studio.flow.diff_published": Text("{path}（已发布）", "{path} (published)"),
        "studio.flow.diff_draft": Text(
            "{path}（草稿第 {revision} 稿）", "{path} (draft revision {revision})"
        ),
        "studio.flow.cases_text": Text("第 {version} 版的文本", "The text of version {version}"),
        "studio.flow.current": Text("（当前）", "(current)"),
        "studio.flow.cases_draft": Text(
            "运行的是用例的草稿（第 {revision} 稿）。", "These are the cases' draft (revision {revision})."
        ),
        "studio.flow.cases_published": Text("运行的是已发布的用例。", "These are the published cases."),
        "studio.flow.cases_run_published": Text("改为运行已发布的用例", "Run the published cases instead"),
        "studio.flow.cases_run_draft": Text("改为运行用例的草稿", "Run the cases' draft instead"),
        "studio.flow.cases_edit": Text("编辑用例", "Edit the cases"),
        "studio.workflows": Text("工作流与版本", "Workflows and versions"),
        "studio.version": Text("版本", "Version"),
        "studio.published_at": Text("发布时间", "Published"),
        "studio.published_by": Text("发布人", "By"),
        "studio.drafted_by": Text("起草人", "Drafted by"),
        "studio.approved_by": Text("审批人", "Approved by"),
        "studio.note": Text("说明", "Note"),
        "studio.running": Text("运行中订单", "Running orders"),
        "studio.awaiting_count": Text("{n} 份待批准", "{n} awaiting approval"),
        "studio.awaiting_heading": Text("等待批准", "Awaiting approval"),
        "studio.awaiting_item": Text(
            "由 {who} 提交（第 {revision} 稿，{at}）：请另一位管理员打开文件，查看改动后批准或退回。",
            "submitted by {who} (revision {revision}, {at}): another admin opens the file, reads the change "
            "and approves or sends it back.",
        ),
        "studio.awaiting_yours": Text("（您提交的：等待他人批准）", "(yours: another admin approves it)"),
        "studio.running_older": Text("其中 {n} 个在旧版本上", "{n} on older versions"),
        "studio.versions_of": Text("{workflow}的版本", "Versions of {workflow}"),
        "studio.versions_heading": Text(
            "{workflow}的版本（现行第 {version} 版）", "Versions of {workflow} (version {version} is current)"
        ),
        # a version stored without who published it (by a program, before publishers were recorded)
        "studio.published_by.unknown": Text("未记录", "not recorded"),
        "studio.workflow.links": Text("流程的操作", "What to do with the workflow"),
        "studio.workflow.edit": Text("编辑流程定义", "Edit its definition"),
        "studio.workflow.console": Text("在测试台试用规则", "Try its rules in the console"),
        "studio.workflow.replay": Text(
            "用近期订单重放草稿（发布前）", "Replay its draft over recent orders (before publishing)"
        ),
        "studio.workflow.one_version": Text(
            "只有一个版本：发布新版本后可比较版本",
            "One version so far: versions can be compared once another is published",
        ),
        "studio.four_eyes": Text(
            "四眼原则：发布前须另一位管理员批准", "Four eyes: another admin approves before publishing"
        ),
        "studio.four_eyes.on": Text("已开启", "On"),
        "studio.four_eyes.off": Text("未开启", "Off"),
        "studio.four_eyes.turn_on": Text("开启四眼原则", "Turn four eyes on"),
        "studio.four_eyes.ask": Text(
            "开启后，本部门的每次发布和回滚都要先提交，由另一位管理员批准后才发布。",
            "Once on, every publish and rollback of this department is submitted first and published only "
            "when another admin approves it.",
        ),
        "studio.four_eyes.ask_who_turns_off": Text(
            "开启后，只有所有部门的管理员（系统管理员）才能关闭它，您本人不能。",
            "Once on, only an admin of every department can turn it off, not you.",
        ),
        "studio.four_eyes.turn_off": Text("关闭四眼原则", "Turn four eyes off"),
        "studio.four_eyes.who_turns_off": Text(
            "只有所有部门的管理员（系统管理员）才能关闭四眼原则。",
            "Only an admin of every department can turn four eyes off.",
        ),
        "studio.events": Text("操作记录", "Record"),
        "studio.events.pages": Text("操作记录的分页", "Pages of the record"),
        "studio.events.newest": Text("« 最新", "« Newest"),
        "studio.events.newer": Text("‹ 较新", "‹ Newer"),
        "studio.events.older": Text("较早 ›", "Older ›"),
        "studio.event.save": Text("保存草稿", "saved a draft"),
        "studio.event.submit": Text("提交审批", "submitted for approval"),
        "studio.event.publish": Text("发布", "published"),
        "studio.event.rollback": Text("回滚", "rolled back"),
        "studio.event.four_eyes": Text("更改四眼原则", "changed four eyes"),
        "studio.event.migrate": Text("迁移订单", "migrated orders"),
        "studio.event.user": Text("更改用户", "changed a user"),
        "studio.when": Text("时间", "When"),
        "studio.who": Text("操作人", "Who"),
        "studio.what": Text("操作", "What"),
        "studio.subject": Text("对象", "Of"),
        "studio.edit": Text("编辑", "Edit"),
        "studio.back": Text("返回工作室", "Back to the studio"),
        # another department's studio (web/studio_common.py): 403, naming whose it is
        "studio.not_yours.title": Text("无权访问", "No access"),
        "studio.not_yours": Text(
            "此页属于{department}部，你没有其权限。",
            "This page belongs to the {department} department; you have no access to it.",
        ),
        "studio.editing": Text("编辑 {path}", "Editing {path}"),
        "studio.wide_screen": Text(
            "编辑需要更宽的屏幕（至少 700 像素）；在此宽度下只适合阅读。",
            "Editing needs a wider screen (700 px or more); at this width the page is for reading.",
        ),
        "studio.text": Text("文本", "Text"),
        "studio.check": Text("检查", "Check"),
        "studio.save": Text("保存草稿", "Save draft"),
        "studio.publish": Text("发布", "Publish"),
        "studio.submit": Text("提交审批", "Submit for approval"),
        "studio.approve": Text("批准并发布", "Approve and publish"),
        "studio.note_label": Text("发布说明", "Note for this version"),
        "studio.problems": Text("问题", "Problems"),
        "studio.problems_none": Text("没有发现问题。", "No problem found."),
        "studio.line": Text("第 {line} 行，第 {col} 列", "line {line}, column {col}"),
        "studio.severity.error": Text("错误", "error"),
        "studio.severity.warning": Text("警告", "warning"),
        "studio.fix": Text("改为 {s}", "Use {s}"),
        "studio.saved": Text("草稿已保存（第 {revision} 稿）。", "Draft saved (revision {revision})."),
        "studio.cases_state": Text(
            "测试用例（{file}）按此文本运行：{passed} 个通过，{failed} 个失败。",
            "The cases ({file}) run over this text: {passed} passed, {failed} failed.",
        ),
        "studio.cases_failing": Text(
            "失败的用例（发布前请修正规则或用例）：",
            "Failing (mend the rules or the cases before publishing):",
        ),
        "studio.cases_broken": Text(
            "测试用例（{file}）有 {n} 个问题，无法运行。",
            "The cases ({file}) have {n} problem(s) and do not run.",
        ),
        "studio.cases_see": Text("在控制台查看", "See them in the console"),
        "studio.saved_withdrawn": Text(
            "它原先在等待批准：这次保存撤回了提交，改好后请重新提交审批。",
            "It was waiting for approval: this save took it back, so submit it again when it is ready.",
        ),
        "studio.saved_with_errors": Text(
            "草稿已保存（第 {revision} 稿），但有 {n} 个错误：修正前不能发布。",
            "Draft saved (revision {revision}) with {n} error(s): it cannot be published until they are "
            "fixed.",
        ),
        "studio.conflict": Text(
            "保存冲突：{who} 在您打开此页后保存了第 {revision} 稿。"
            "您的文本没有丢失，见下方；请合并后再保存。",
            "Save conflict: {who} saved revision {revision} after you opened the draft. Your text is not "
            "lost, it is below; merge the two and save again.",
        ),
        "studio.conflict_theirs": Text(
            "已保存的草稿（第 {revision} 稿，{who}）", "Saved revision {revision} ({who})"
        ),
        "studio.conflict_yours": Text("您的文本（未保存）", "Your text (not saved)"),
        "studio.size.too_large": Text(
            "文本为 {size}，而定义文件最多 {limit}：未发送任何内容。"
            "您的文本仍在编辑器中：请缩短（或拆分为多个文件）后再保存。",
            "The text is {size}; a definition file may be at most {limit}: nothing was sent. Your text is "
            "still in the editor: shorten it (or split it into several files) and save again.",
        ),
        "studio.size.unit": Text("{n} 字节（{mb} MB）", "{n} bytes ({mb} MB)"),
        "studio.size.request_too_large": Text(
            "发送的内容为 {size}，超过了工作室一次请求的上限 {request_limit}（定义文件最多 {limit}）："
            "未保存任何内容。请返回上一页：浏览器通常仍保留着您的文本，请缩短后再保存。",
            "What was sent is {size}, over the studio's {request_limit} limit for one request (a definition "
            "file may be at most {limit}): nothing was saved. Go back: your browser usually still holds "
            "your text there; shorten it and save again.",
        ),
        "studio.size.request_too_large.title": Text("文本过大", "Text too large"),
        "studio.conflict.heading": Text("两份文本的对照", "The two texts side by side"),
        "studio.conflict.differs": Text(
            "已保存的草稿中有 {theirs} 行是您的文本没有的（标红），"
            "您的文本中有 {yours} 行是它没有的（标绿）。",
            "{theirs} line(s) of the saved revision are not in your text (red), and {yours} line(s) of "
            "your text are not in it (green).",
        ),
        "studio.conflict.same": Text(
            "两份文本内容相同：在下方再次保存即可。", "The two texts have the same lines: save again below."
        ),
        "studio.conflict.diff": Text("差异（统一格式）", "What differs (unified diff)"),
        "studio.published_ok": Text("已发布：{versions}", "Published: {versions}"),
        "studio.same_version": Text("（未变）", " (unchanged)"),
        "studio.cross.together": Text(
            "发布 {path} 将在同一次发布中一并发布以下草稿（同一流程所用的文件）：",
            "Publishing {path} publishes with it, in the same publish, the drafts of these files its "
            "workflows use:",
        ),
        "studio.cross.draft_by": Text(
            "（第 {revision} 稿，{who} 保存）", " (revision {revision}, saved by {who})"
        ),
        "studio.cross.must_change": Text(
            "此修改需要 {path} 一并修改：请打开它，在那里修改并保存为草稿，两者将一同发布。",
            "This change needs {path} to change too: open it, make the change there and save it as a "
            "draft; both are then published together.",
        ),
        "studio.cross.open": Text("打开 {path}", "Open {path}"),
        "studio.cross.published_with": Text("；一并发布的草稿：{paths}", "; published with it: {paths}"),
        "studio.refused_change": Text("未更改：{reason}", "Not done: {reason}"),
        "studio.awaiting_other": Text(
            "已提交审批：等待另一位管理员批准。", "Submitted: waiting for another admin to approve it."
        ),
        "studio.event.conflict": Text("保存冲突（未采用）", "save refused: conflict"),
        "studio.event.on": Text("开启", "on"),
        "studio.event.off": Text("关闭", "off"),
        "studio.submitted": Text(
            "已提交审批，等待另一位管理员批准。", "Submitted: another admin approves it next."
        ),
        "studio.publishes_label": Text("发布此文件将发布：", "Publishing this file publishes:"),
        "studio.unchanged": Text("与已发布的文本相同。", "Same as the published text."),
        "studio.history": Text("草稿历史", "Draft history"),
        "studio.revision": Text("版次", "Revision"),
        "studio.outcome.saved": Text("已保存", "saved"),
        "studio.outcome.conflict": Text("冲突（未采用）", "conflict (not taken)"),
        "studio.revisions.conflict_number": Text("{revision}（冲突 {n}）", "{revision} (conflict {n})"),
        "studio.revisions.title": Text("{path} · 草稿第 {revision} 稿", "{path} · draft revision {revision}"),
        "studio.revisions.back": Text("返回编辑此文件", "Back to editing the file"),
        "studio.revisions.open": Text("查看第 {revision} 稿的文本", "Read the text of revision {revision}"),
        "studio.revisions.conflict_note": Text(
            "这次保存因与第 {revision} 稿冲突而未被采用：其文本未成为草稿，保存在此以免丢失。"
            "需要其中的内容时，请复制到编辑器中再保存。",
            "This save was refused: it met revision {revision}, saved first. Its text did not become the "
            "draft and is kept here so nothing is lost: copy what you need into the editor and save it.",
        ),
        "studio.diff": Text("比较版本", "Compare versions"),
        "studio.diff_of": Text("第 {a} 版 → 第 {b} 版", "Version {a} → version {b}"),
        "studio.diff_same": Text("两个版本的文本相同。", "The two versions have the same text."),
        "studio.compare": Text("比较", "Compare"),
        "studio.diff_none": Text(
            "两个版本的状态、流转、规则与表单相同。",
            "The two versions have the same states, transitions, rules and forms.",
        ),
        "studio.change": Text("变化", "Change"),
        "studio.name": Text("名称", "Name"),
        "studio.before": Text("之前", "Before"),
        "studio.after": Text("之后", "After"),
        "studio.texts": Text("文本差异", "Text differences"),
        "studio.texts_not_kept": Text(
            "其中一个版本发布时未保存文件文本，只能比较其内容。",
            "One of the versions was published without its files' texts: only their contents are compared.",
        ),
        "studio.diagram_source": Text("状态图源码（Mermaid）", "Diagram source (Mermaid)"),
        "studio.rollback": Text("回滚到此版本", "Roll back to this version"),
        "studio.rollback_note": Text("回滚到第 {version} 版", "Roll back to version {version}"),
        "studio.rollback_ask": Text(
            "将第 {version} 版的文本重新发布为第 {next} 版（四眼原则开启时，先提交审批）。说明可留空。",
            "Version {version}'s texts are published again as version {next} (with four eyes on, submitted "
            "for approval first). The note may be left empty.",
        ),
        "studio.rollback_confirm": Text("回滚到第 {version} 版", "Roll back to version {version}"),
        "studio.rolled_back": Text(
            "已将第 {from_version} 版重新发布为第 {version} 版。",
            "Version {from_version} is published again as version {version}.",
        ),
        "studio.refused": Text("未发布：{reason}", "Not published: {reason}"),
        "studio.diagram": Text("状态图", "State diagram"),
        # --- the studio on a narrow screen (web/static/studio-narrow.css)
        "studio.narrow.diagram_hint": Text(
            "状态图按原大小显示：在下面的框内左右、上下滑动查看全图。",
            "The diagram is drawn at full size: swipe inside the box below to see all of it.",
        ),
        "studio.preview": Text("表单预览", "Form preview"),
        "studio.script_off": Text(
            "脚本未运行：用“检查”按钮查看问题。", "Scripts are off: use Check to see the problems."
        ),
        # the studio's users and roles of a department (web/studio_users.py,
        # engine/runtime/department_users.py)
        # --- a department's managed lists (名单): the kinds, the studio's lists pages (web/studio_lists.py)
        "lists.kind.address": Text("地址", "address"),
        "lists.kind.mobile": Text("手机号", "mobile"),
        "lists.kind.customer": Text("客户", "customer"),
        "lists.kind.sku": Text("商品编码", "SKU"),
        "lists.kind.text": Text("文本", "text"),
        "studio.lists.title": Text("名单", "Lists"),
        "studio.lists.heading": Text("{department}的名单", "Lists of {department}"),
        "studio.lists.back": Text("返回工作室", "Back to the studio"),
        "studio.lists.intro": Text(
            "规则用 in_list('名称', 值) 引用名单；"
            "值按名单类型规范化后匹配（“广东省深圳市”与“广东 深圳”是同一地址）。"
            "规则文件声明的名单在发布时自动建立。",
            "Rules name a list with in_list('name', value); values match after normalising for the "
            "list's kind (“广东省深圳市” and “广东 深圳” are one address). Lists a rule file declares are "
            "created when it is published.",
        ),
        "studio.lists.none": Text("还没有名单。", "No lists yet."),
        "studio.lists.name": Text("名称", "Name"),
        "studio.lists.name_hint": Text(
            "小写字母、数字、- 和 _，以字母或数字开头，最多 64 个字符，如 vip-customers",
            "lower-case letters, digits, - and _, starting with a letter or a digit, at most 64 characters, "
            "like vip-customers",
        ),
        "studio.lists.force": Text(
            "商品目录中没有的商品编码也添加（尚未上架的商品）",
            "Add even if not in the catalogue (a product not catalogued yet)",
        ),
        "studio.lists.kind": Text("类型", "Kind"),
        "studio.lists.label": Text("标签", "Label"),
        "studio.lists.label_zh": Text("中文名称", "Chinese label"),
        "studio.lists.label_en": Text("英文名称", "English label"),
        "studio.lists.entries": Text("值的个数", "Values"),
        "studio.lists.create": Text("建立名单", "Create a list"),
        "studio.lists.used_by": Text("使用它的规则", "Used by"),
        "studio.lists.used_intro": Text(
            "现行流程中读取此名单的规则（名单的改动从下一步起影响其判定）：",
            "The rules of the workflows in force that read this list (a change to it counts from the next "
            "step on):",
        ),
        "studio.lists.use": Text(
            "{workflow} · {ruleset}（规则 {rules}）", "{workflow} · {ruleset} (rule {rules})"
        ),
        "studio.lists.unused": Text(
            "没有规则使用：现行流程的条件都不读取此名单，改动它不影响任何订单。",
            "No rule uses it: no condition of the workflows in force reads this list, so a change to it "
            "decides no order.",
        ),
        "studio.lists.value": Text("值", "Value"),
        "studio.lists.key": Text("匹配键", "Matched as"),
        "studio.lists.note": Text("备注", "Note"),
        "studio.lists.added_by": Text("添加人", "Added by"),
        "studio.lists.added_at": Text("添加时间", "Added"),
        "studio.lists.add": Text("添加", "Add"),
        "studio.lists.remove": Text("移除", "Remove"),
        "studio.lists.remove_ask": Text(
            "从名单 {name} 中移除 {value}？引用此名单的规则将不再匹配它。",
            "Remove {value} from the list {name}? The rules that read the list no longer match it.",
        ),
        "studio.lists.remove_confirm": Text("确定移除", "Yes, remove it"),
        "studio.lists.search": Text("搜索", "Search"),
        "studio.lists.search_hint": Text(
            "按名单类型规范化后查找", "found after normalising as the list's kind"
        ),
        "studio.lists.no_values": Text("没有值。", "No values."),
        "studio.lists.no_match": Text("没有匹配“{q}”的值。", "No value matches “{q}”."),
        "studio.lists.import": Text("批量导入", "Import"),
        "studio.lists.import_hint": Text(
            "每行一个值，可在逗号后加备注；以 # 开头的行和空行跳过。任何一行有误则全部不导入。",
            "One value a line, a note after a comma; lines starting with # and blank lines are skipped. "
            "Nothing is imported unless every line is good.",
        ),
        "studio.lists.changes": Text("最近的改动", "Latest changes"),
        "studio.lists.when": Text("时间", "When"),
        "studio.lists.who": Text("操作人", "Who"),
        "studio.lists.what": Text("改动", "Change"),
        "studio.lists.action.create": Text("建立名单", "created the list"),
        "studio.lists.action.add": Text("添加", "added"),
        "studio.lists.action.remove": Text("移除", "removed"),
        "studio.lists.refused": Text(
            "未改动，请修正下列问题：", "Nothing was changed; put right what is said below:"
        ),
        "studio.lists.done.create": Text("已建立名单 {name}。", "List {name} created."),
        "studio.lists.done.add": Text("已添加 {value}。", "{value} added."),
        "studio.lists.done.remove": Text("已移除 {value}。", "{value} removed."),
        "studio.lists.done.import": Text("已导入 {value} 个值。", "{value} value(s) imported."),
        "studio.users.title": Text("用户与角色", "Users and roles"),
        "studio.users.heading": Text("{department}的用户与角色", "Users and roles of {department}"),
        "studio.users.roles_global": Text(
            "角色属于用户本人，而不属于某个部门：在这里更改角色，就更改了该用户在其所属各部门的角色；"
            "停用一位用户，他在所有部门都无法登录。",
            "Roles belong to the user, not to a department: changing them here changes the user's roles "
            "in every department they belong to, and a deactivated user logs in to none of them.",
        ),
        "studio.users.name": Text("用户名", "User name"),
        "studio.users.display_name": Text("显示名称", "Display name"),
        "studio.users.display_name_hint": Text("留空则与用户名相同", "Left empty: the same as the user name"),
        "studio.users.roles": Text("角色", "Roles"),
        "studio.users.departments": Text("所属部门", "Departments"),
        "studio.users.status": Text("状态", "Status"),
        "studio.users.state.active": Text("启用", "Active"),
        "studio.users.state.inactive": Text("已停用", "Inactive"),
        "studio.users.api_login": Text("接口登录", "API login"),
        "studio.users.api_login.hint": Text(
            "程序（如网店、App）通过接口使用的登录，不是人：不会出现在指派、加签与转交的人选中",
            "A login a program (the web shop, the app) uses through the API, not a person: never offered to "
            "assign an order, add an approver or transfer a task to",
        ),
        "studio.users.every_department": Text(
            "属于所有部门，不在此处更改", "Of every department: not changed here"
        ),
        "studio.users.you": Text("（您本人）", " (you)"),
        "studio.users.deactivate_ask": Text("确定停用 {user}？", "Deactivate {user}?"),
        "studio.users.deactivate_confirm": Text("确定停用", "Deactivate"),
        "studio.users.list_sep": Text("、", ", "),
        "studio.users.other_departments": Text(
            "{user} 也在{departments}工作：停用或重置密码会影响那些部门，需由也管理这些部门的管理员来做。"
            "在这里可以更改其角色。",
            "{user} also works in {departments}: a deactivation or a new password reaches there too, so an "
            "admin of those departments as well does it. Their roles can be changed here.",
        ),
        "studio.users.manage": Text("管理", "Manage"),
        "studio.users.back": Text("返回用户列表", "Back to the users"),
        "studio.users.add": Text("添加用户", "Add a user"),
        "studio.users.password": Text("初始密码", "Initial password"),
        "studio.users.new_password": Text("新密码", "New password"),
        "studio.users.password_again": Text("再次输入密码", "The password again"),
        "studio.users.password_rule": Text("至少 {n} 个字符", "At least {n} characters"),
        "studio.users.roles_offered": Text(
            "可选的角色是本部门已发布的流程所声明的角色，另加 admin（本部门的管理员）"
            "以及库存页面所用的 warehouse（仓库）和 purchaser（采购员）。",
            "The roles offered are those the department's published workflows declare, admin (an "
            "admin of this department), and warehouse and purchaser, whom the stock pages ask for.",
        ),
        "studio.users.kept_roles": Text(
            "保留的其他角色（不属于本部门的流程）：{roles}",
            "Other roles kept (not of this department's workflows): {roles}",
        ),
        "studio.users.save_roles": Text("保存角色", "Save the roles"),
        "studio.users.deactivate": Text("停用", "Deactivate"),
        "studio.users.reactivate": Text("重新启用", "Reactivate"),
        "studio.users.deactivate_hint": Text(
            "停用后该用户无法登录，其所有会话立即结束。",
            "A deactivated user cannot log in, and every session of theirs ends at once.",
        ),
        "studio.users.reset_password": Text("重置密码", "Reset the password"),
        "studio.users.reset_hint": Text(
            "该用户的所有会话将结束，需用新密码重新登录。",
            "Every session of the user ends: they log in again with the new password.",
        ),
        "studio.users.self_note": Text(
            "您不能停用自己，也不能取消自己的管理员角色：请另一位管理员操作。",
            "You cannot deactivate yourself or take away your own admin role: ask another admin.",
        ),
        "studio.users.record": Text("用户变更记录", "Record of user changes"),
        "studio.users.errors": Text("未保存：请修正标出的问题。", "Nothing was saved: fix what is marked."),
        "studio.users.refused": Text("未更改：{reason}", "Not changed: {reason}"),
        "studio.users.done.add": Text("已添加用户 {user}。", "User {user} added."),
        "studio.users.done.deactivate": Text(
            "已停用 {user}，其会话已全部结束。", "{user} deactivated; every session of theirs ended."
        ),
        "studio.users.done.reactivate": Text("已重新启用 {user}。", "{user} reactivated."),
        "studio.users.done.roles": Text("已更改 {user} 的角色。", "The roles of {user} changed."),
        "studio.users.done.password": Text(
            "已重置 {user} 的密码，其会话已全部结束。",
            "The password of {user} reset; every session of theirs ended.",
        ),
        "studio.users.done.none": Text("{user} 没有变化。", "Nothing changed for {user}."),
        "studio.users.change.add": Text("添加用户", "added the user"),
        "studio.users.change.deactivate": Text("停用", "deactivated"),
        "studio.users.change.reactivate": Text("重新启用", "reactivated"),
        "studio.users.change.roles": Text("更改角色", "changed the roles"),
        "studio.users.change.password": Text("重置密码", "reset the password"),
        "studio.users.change.email": Text("更改邮箱", "changed the e-mail address"),
        "studio.users.done.email": Text("已更改 {user} 的邮箱。", "The e-mail address of {user} changed."),
        "studio.users.email": Text(
            "邮箱（审批任务和提醒发到这里）", "E-mail (approval tasks and reminders go here)"
        ),
        "studio.users.save_email": Text("保存邮箱", "Save the e-mail address"),
        "studio.users.error.email_form": Text(
            "邮箱应形如 name@example.com（最多 320 个字符），留空表示不发邮件",
            "an e-mail address looks like name@example.com (at most 320 characters); leave it empty for none",
        ),
        "studio.users.added_roles": Text("增加：{roles}", "added: {roles}"),
        "studio.users.removed_roles": Text("去掉：{roles}", "removed: {roles}"),
        "studio.users.sessions_ended": Text("结束 {n} 个会话", "{n} session(s) ended"),
        "studio.users.error.name_missing": Text("请填写用户名", "a user name is needed"),
        "studio.users.error.name_form": Text(
            "用户名为 1 到 {max} 个字符，不能含空白、控制字符或 /",
            "a user name has 1 to {max} characters, none of them a space, a control character or /",
        ),
        "studio.users.error.name_taken": Text("用户名 {name} 已被使用", "the user name {name} is taken"),
        "studio.users.error.name_taken_case": Text(
            "已有用户 {other}，与 {name} 只差大小写",
            "there is a user {other}: {name} differs from it only in case",
        ),
        "studio.users.error.display_name_form": Text(
            "显示名称最多 {max} 个字符，不能含控制字符",
            "a display name has at most {max} characters and no control character",
        ),
        "studio.users.error.roles_none": Text("请至少选择一个角色", "choose at least one role"),
        "studio.users.error.role_unknown": Text(
            "本部门已发布的流程没有声明角色 {role}{suggestion}；可选：{roles}",
            "no published workflow of this department declares the role {role}{suggestion}; the roles "
            "are: {roles}",
        ),
        "studio.users.error.password_short": Text(
            "密码至少需要 {n} 个字符", "a password needs at least {n} characters"
        ),
        "studio.users.error.password_mismatch": Text(
            "两次输入的密码不一致", "the two passwords are not the same"
        ),
        "studio.users.error.self_deactivate": Text(
            "您不能停用自己：请另一位管理员操作", "you cannot deactivate yourself: ask another admin"
        ),
        "studio.users.error.self_demote": Text(
            "您不能取消自己的管理员角色：请另一位管理员操作",
            "you cannot take away your own admin role: ask another admin",
        ),
        "studio.users.error.last_admin": Text(
            "{user} 是部门 {department} 最后一位启用的管理员：请先让另一位用户成为该部门的管理员",
            "{user} is the last active admin of department {department}: make another user of it an admin "
            "first",
        ),
        "studio.users.error.other_departments": Text(
            "{user} 也在{departments}工作：停用或重置密码会影响那些部门，需由也管理这些部门的管理员来做",
            "{user} also works in {departments}: a deactivation or a new password reaches there too, so an "
            "admin of those departments as well does it",
        ),
        "studio.users.error.every_department": Text(
            "{user} 属于所有部门，不在这里更改（用 orderloom users 命令）",
            "{user} belongs to every department and is not changed here (use `orderloom users`)",
        ),
        "studio.users.error.not_admin": Text(
            "您已不是部门 {department} 启用的管理员",
            "you are no longer an active admin of department {department}",
        ),
        "studio.users.error.unknown_user": Text(
            "部门 {department} 没有用户 {user}", "department {department} has no user {user}"
        ),
        # the studio's rule console (web/studio_console.py, studio/console.html)
        # the editor's text and note kept when the session ended (web/studio_keep.py, studio-keep.js)
        "forms.sample_text": Text("示例文字", "Sample text"),
        "studio.keep.title": Text("会话已结束", "Your session has ended"),
        "studio.keep.ended": Text(
            "您的会话已结束（已在别处退出登录或已过期），{path} 未保存任何内容。您输入的文字保留在本页："
            "重新登录后，文字回到您手中，再由您保存。",
            "Your session ended (logged out elsewhere, or expired), so nothing of {path} was saved. What "
            "you typed is kept on this page: log in again and it comes back to you, to be saved.",
        ),
        "studio.keep.log_in": Text("登录并取回文字", "Log in and take the text back"),
        "studio.keep.text": Text(
            "您输入的文字（基于第 {revision} 稿）", "The text you typed (made from revision {revision})"
        ),
        "studio.keep.back": Text(
            "已重新登录。您的文字尚未保存：现在保存，或带回编辑器继续编辑。",
            "You are logged in again. Your text is not saved yet: save it now, or take it back to the "
            "editor.",
        ),
        "studio.keep.save": Text("保存这段文字", "Save this text"),
        "studio.keep.to_editor": Text("带回编辑器", "Back to the editor with it"),
        "studio.keep.not_yours": Text(
            "您不是部门 {department} 的管理员，无法在此保存。文字保留在下方，可以复制。",
            "You do not administer {department}, so the text cannot be saved here. It is below, to copy.",
        ),
        "studio.keep.session_ended": Text(
            "会话已结束（已在别处退出登录或已过期），未保存任何内容。"
            "您的文字仍在编辑器中，也保存在本浏览器中。",
            "Your session has ended (logged out elsewhere, or expired); nothing was saved. Your text is "
            "still in the editor, and kept in this browser.",
        ),
        "studio.keep.log_in_link": Text("在新标签页中重新登录", "Log in again in a new tab"),
        "studio.keep.then": Text(
            "登录后，保存会自动继续。", "Once you are logged in, the save goes on by itself."
        ),
        "studio.keep.offer": Text(
            "本浏览器保留着会话结束时在此页输入、尚未保存的文字。",
            "This browser kept a text typed on this page when the session ended, not saved.",
        ),
        "studio.keep.restore": Text("放回编辑器", "Put it back in the editor"),
        "studio.keep.discard": Text("丢弃", "Discard"),
        "studio.listing.summary": Text(
            "检查过的文字（{n} 行，带行号；问题所在行已标出）",
            "The text checked ({n} lines, numbered; the lines with problems marked)",
        ),
        "studio.preview.made_up": Text(
            "样例数据：表单定义没有给出示例值的 {n} 个字段填的是根据其类型和限制生成的值，并非真实数据。",
            "Sample data: the {n} field(s) the schema gives no examples for are filled with values made from "
            "their types and limits, not real data.",
        ),
        "studio.console.open": Text("在规则控制台中试算", "Try it in the rule console"),
        "studio.console.heading": Text("规则控制台", "Rule console"),
        "studio.console.title": Text("规则控制台：{path}", "Rule console: {path}"),
        "studio.console.edit": Text("编辑此文件", "Edit this file"),
        "studio.console.trying_draft": Text(
            "试算的是草稿（尚未发布的文本）。", "Trying the draft (the text not yet published)."
        ),
        "studio.console.trying_published": Text(
            "此文件没有草稿：试算的是已发布的文本。", "This file has no draft: trying the published text."
        ),
        "studio.console.has_errors": Text(
            "文本有 {n} 个错误：修正前不作试算。",
            "The text has {n} error(s): nothing is evaluated until they are fixed.",
        ),
        "studio.console.whole_file": Text("整个文件", "the whole file"),
        "studio.console.cannot_try": Text(
            "此规则文件现在不能试算：见上方的说明。", "This rule file cannot be tried now: see above."
        ),
        "studio.console.order_heading": Text("用一个订单试算", "Try it on an order"),
        "studio.console.order_label": Text("本部门的订单号", "An order number of this department"),
        "studio.console.order_button": Text("试算此订单", "Evaluate this order"),
        "studio.console.bad_order": Text(
            "“{order}” 不是订单号：请填写一个大于 0 的整数。",
            "“{order}” is not an order number: give a whole number above 0.",
        ),
        "studio.console.data_heading": Text("用粘贴的数据试算", "Try it on pasted data"),
        "studio.console.data_label": Text(
            "数据（JSON 或 YAML，写法与用例的 input 相同：order、data、now、stock……；没写的按运行时补上）",
            "Data (JSON or YAML, written as a case's input: order, data, now, stock…; what is left out is "
            "filled as the runtime fills it)",
        ),
        "studio.console.data_button": Text("试算这些数据", "Evaluate this data"),
        "studio.console.data_refused": Text(
            "粘贴的数据有 {n} 个问题，未作试算：",
            "The pasted data has {n} problem(s); nothing was evaluated:",
        ),
        "studio.console.result": Text("结果与解释", "Outcome and explanation"),
        "studio.console.outcome": Text("结果", "Outcome"),
        "studio.console.queue": Text("队列", "Queue"),
        "studio.console.reasons": Text("理由", "Reasons"),
        "studio.console.outputs": Text("输出", "Outputs"),
        "studio.console.undecided": Text(
            "规则集未能作出决定：{reason}", "The rule set could not decide: {reason}"
        ),
        "studio.console.published_heading": Text(
            "已发布的文本对同样的数据", "The published text, over the same data"
        ),
        "studio.console.changed": Text("草稿改变了结果。", "The draft changes the outcome."),
        "studio.console.unchanged": Text(
            "草稿与已发布的文本结果相同。", "The draft decides as the published text does."
        ),
        "studio.console.trace": Text("每条规则的求值", "Every rule, evaluated"),
        "studio.console.rule": Text("规则", "Rule"),
        "studio.console.when": Text("条件", "Condition"),
        "studio.console.held": Text("是否成立", "Held"),
        "studio.console.values": Text("比较的值", "Values compared"),
        "studio.console.gives": Text("给出", "Gives"),
        "studio.console.candidate.warehouse": Text("仓库", "warehouse"),
        "studio.console.candidate.carrier": Text("承运商", "carrier"),
        "studio.console.matched": Text("成立", "held"),
        "studio.console.not_matched": Text("不成立", "did not hold"),
        "studio.console.unevaluated": Text("无法求值：{error}", "could not be evaluated: {error}"),
        "studio.console.eligible": Text("可选", "eligible"),
        "studio.console.not_eligible": Text("不可选", "not eligible"),
        "studio.console.decided": Text("（决定结果）", "(decided)"),
        "studio.console.score": Text("得分 {total}", "score {total}"),
        "studio.console.names": Text("求值所用的数据", "The data it was evaluated over"),
        "studio.console.cases": Text("用例：{file}", "Cases: {file}"),
        "studio.console.no_cases": Text(
            "没有用例文件 {file}：在规则文件旁写一个，此处和 `orderloom rules test` 都会运行它。",
            "No cases file {file}: write one beside the rule file; this page and `orderloom rules test` "
            "run it.",
        ),
        "studio.console.cases_problems": Text(
            "用例文件有 {n} 个问题，没有运行任何用例：", "The cases file has {n} problem(s); no case ran:"
        ),
        "studio.console.cases_summary": Text(
            "{passed} 个通过，{failed} 个失败", "{passed} passed, {failed} failed"
        ),
        "studio.console.case": Text("用例", "Case"),
        "studio.console.case_result": Text("结果", "Result"),
        "studio.console.spoke": Text("成立的规则", "Rules that held"),
        "studio.console.pass": Text("通过", "passed"),
        "studio.console.fail": Text("失败", "failed"),
        "studio.console.what": Text("检查项", "Checked"),
        "studio.console.expected": Text("期望", "Expected"),
        "studio.console.actual": Text("实际", "Actual"),
        "studio.console.none": Text("无", "none"),
        "studio.console.coverage": Text("覆盖情况", "Coverage"),
        "studio.console.coverage_complete": Text(
            "全部 {n} 条规则都在某个用例中成立、在另一个用例中不成立。",
            "All {n} rules are seen holding in one case and not holding in another.",
        ),
        "studio.console.coverage_missing": Text(
            "以下规则没有被用例从两方面覆盖：", "These rules are not exercised both ways by the cases:"
        ),
        "studio.console.never_matched": Text("没有用例使它成立", "no case makes it hold"),
        "studio.console.never_unmatched": Text("每个用例都使它成立", "it holds in every case"),
        "studio.console.never_evaluated": Text("没有用例能对它求值", "no case could evaluate it"),
        # the studio's form preview (web/studio_console.py, studio/_preview.html)
        "studio.preview.note": Text(
            "职员看到的表单，填入了示例数据（表单定义中的示例值与默认值，"
            "没有的字段用根据数据结构生成的样例值）。",
            "The form as clerks see it, with sample data (the schema's examples and defaults, and values "
            "made from the schema where it gives none).",
        ),
        "studio.preview.none": Text(
            "文本有 {n} 个错误：修正后显示预览。",
            "The text has {n} error(s): the preview shows once they are fixed.",
        ),
        "studio.api.not_object": Text(
            "请求体必须是 JSON 对象：{{kind, department, name, text}}",
            "the body must be a JSON object: {{kind, department, name, text}}",
        ),
        "studio.api.not_string": Text("{name!r} 必须是文本", "{name!r} must be a string"),
        "studio.api.kind": Text("'kind' 必须是以下之一：{kinds}", "'kind' must be one of {kinds}"),
        "studio.api.name": Text(
            "'name' {name} 不是本部门的 {kind} 文件", "'name' {name} is not a {kind} file of this department"
        ),
        "studio.api.diagram_body": Text(
            "请求体必须是 JSON 对象：{{department, name, text}}",
            "the body must be a JSON object: {{department, name, text}}",
        ),
        "studio.preview.bad_body": Text(
            "请求体必须是 JSON 对象，含 department、name 和 text",
            "the body must be a JSON object with department, name and text",
        ),
        "studio.preview.bad_field": Text("“{name}” 必须是文本", "{name!r} must be a string"),
        "studio.preview.not_form": Text(
            "“{name}” 不是表单（.json）或表单布局（.ui.json）文件",
            "{name!r} is not a form (.json) or form layout (.ui.json) file",
        ),
        # the studio's replay before publishing (web/studio_replay.py)
        "studio.replay.first": Text(
            "发布前先重放：看看近期订单中哪些会走向不同结果",
            "Replay first: see which recent orders would go another way",
        ),
        "studio.replay.title": Text("发布前重放：{path}", "Replay before publishing: {path}"),
        "studio.replay.back": Text("返回编辑 {path}", "Back to editing {path}"),
        "studio.replay.intro": Text(
            "草稿（第 {revision} 稿）在它所属的每个流程最近的 {limit} 个订单上重放，"
            "并与每个订单当前所用版本的规则对比（其他文件按已发布的文本读取，与发布时相同）。不会写入任何内容。",
            "The draft (revision {revision}) is replayed over the newest {limit} orders of each workflow "
            "it belongs to, beside the rules each order runs on now (the other files read as published, "
            "as publishing reads them). Nothing is written.",
        ),
        "studio.replay.no_draft": Text(
            "此文件没有草稿：重放的是已发布的文本，不会有订单走向不同结果。",
            "This file has no draft: its published text is replayed, so no order goes another way.",
        ),
        "studio.replay.limit": Text("每个流程的近期订单数", "Recent orders of each workflow"),
        "studio.replay.run": Text("重放", "Replay"),
        "studio.replay.bad_limit": Text(
            "近期订单数（last）须是 1 到 {max} 之间的整数，而不是“{value}”。",
            "The number of recent orders (last) must be a whole number from 1 to {max}, not “{value}”.",
        ),
        "studio.replay.failed": Text("无法重放：{reason}", "Cannot replay: {reason}"),
        "studio.replay.problems": Text(
            "草稿有错误，无法重放（也无法发布）：请先修正。",
            "The draft has errors: it cannot be replayed (nor published). Fix them first.",
        ),
        "studio.replay.nothing": Text(
            "本部门没有流程使用此文件：发布它不会改变任何订单的去向。",
            "No workflow of this department uses this file: publishing it changes the way of no order.",
        ),
        "studio.replay.no_rules": Text(
            "此流程未引用任何规则文件：没有可重放的规则。",
            "This workflow names no rule file: there are no rules to replay.",
        ),
        "studio.replay.summary": Text("{n} 个订单会走向不同结果。", "{n} order(s) would go another way."),
        "studio.replay.none_changed": Text("没有订单会走向不同结果。", "No order would go another way."),
        "studio.replay.file": Text(
            "{workflow} · {path}（规则集 {ruleset}）", "{workflow} · {path} (rule set {ruleset})"
        ),
        "studio.replay.replayed": Text(
            "重放了 {orders} 个订单，其中 {changes} 个会走向不同结果。",
            "{orders} order(s) replayed; {changes} would go another way.",
        ),
        "studio.replay.stock_now": Text(
            "分仓规则按当前库存重放（只读；每个订单自己占用的库存计为它可用），而不是订单当初分仓时的库存"
            "（那时的库存没有保存）。已发布的规则和草稿看到的是同样的库存，所以列出的订单走向不同是因为规则。",
            "Routing is replayed over the stock on hand now (read only; the units each order holds count as "
            "free for it), not the stock when the order was routed, which is not kept. The published rules "
            "and the draft see the same stock, so an order listed goes another way because of the rules.",
        ),
        "studio.replay.not_evaluated": Text(
            "{kind} 类规则文件关注事件流，不对单个订单作出决定，因此不重放。",
            "A rule file of kind {kind} watches streams of events and decides over no single order: it "
            "is not replayed.",
        ),
        "studio.replay.new": Text(
            "{workflow} 的已发布版本尚未使用此规则文件：没有订单运行过它，无可对比。",
            "No published version of {workflow} uses this rule file yet: no order ran it, so there is "
            "nothing to compare with.",
        ),
        "studio.replay.counts": Text("已发布 → 草稿", "Published → draft"),
        "studio.replay.orders": Text("订单数", "Orders"),
        "studio.replay.order": Text("订单", "Order"),
        "studio.replay.state_now": Text("当前状态", "State now"),
        "studio.replay.published": Text("已发布的规则", "Published rules"),
        "studio.replay.draft": Text("草稿的规则", "The draft's rules"),
        "studio.replay.queue": Text("队列 {queue}", "queue {queue}"),
        "studio.replay.outputs": Text("输出", "Outputs"),
        "studio.replay.no_reason": Text("没有规则命中", "no rule spoke"),
        "studio.replay.rules_spoke": Text("命中的规则：{rules}", "Rules that spoke: {rules}"),
        "studio.replay.publish_step": Text("然后发布", "Then publish"),
        # the studio's migration of running orders (web/studio_migrate.py)
        "studio.migrate.link": Text("迁移到 v{version}", "Move to v{version}"),
        "studio.migrate.heading": Text(
            "迁移 {workflow} 的运行中订单", "Move the running orders of {workflow}"
        ),
        "studio.migrate.title": Text(
            "把 {workflow} 的运行中订单迁移到 v{version}",
            "Move the running orders of {workflow} to v{version}",
        ),
        "studio.migrate.back": Text("返回{workflow}的版本", "Back to the versions of {workflow}"),
        "studio.migrate.from": Text("迁移 v{version} 上的订单。", "The orders on v{version}."),
        "studio.migrate.from_all": Text("迁移其他所有版本上的订单。", "The orders on every other version."),
        "studio.migrate.not_redecided": Text(
            "迁移只把订单换到新版本、保留所处的状态，不会重新运行规则：已挂起的订单仍然挂起，"
            "新版本的规则从它们的下一步起生效。",
            "Moving keeps each order in its state on the new version and runs no rule again: an order on "
            "hold stays on hold, and the new version's rules apply from its next step.",
        ),
        "studio.migrate.ask": Text(
            "确定把这 {n} 个订单迁移到第 {version} 版？迁移分批进行，每批在一个事务中完成，并记入记录；"
            "之后可以再迁回，但不能一键撤销。",
            "Move these {n} order(s) to version {version}? They move in batches, each in one transaction "
            "and recorded; they can be moved back later, but not undone with a click.",
        ),
        "studio.migrate.plan_intro": Text(
            "以下是迁移的计划，尚未迁移任何订单。",
            "This is the plan: no order has moved yet.",
        ),
        "studio.migrate.summary": Text(
            "{moves} 个订单将被迁移，{blocked} 个留在原处。",
            "{moves} order(s) would move; {blocked} stay where they are.",
        ),
        "studio.migrate.state_map": Text("状态对照", "State map"),
        "studio.migrate.old_state": Text("原状态", "Old state"),
        "studio.migrate.new_state": Text("新状态", "New state"),
        "studio.migrate.orders": Text("订单数", "Orders"),
        "studio.migrate.stays": Text("留在原处", "stays"),
        "studio.migrate.reason": Text("原因", "Why"),
        "studio.migrate.code.state_gone": Text("状态在新版本中不存在", "its state is gone"),
        "studio.migrate.code.conflicting_states": Text(
            "状态不能同时处于激活", "its states cannot be together"
        ),
        "studio.migrate.code.final_state": Text("会落入终止状态", "it would land in a final state"),
        "studio.migrate.code.data_invalid": Text("数据不符合新版本的表单", "its data fails the new form"),
        "studio.migrate.map": Text("为新版本没有的状态选择新状态", "Map the states the new version lacks"),
        "studio.migrate.map_intro": Text(
            "以下状态在 v{version} 中不存在：为每个状态选择一个新状态，其中的订单即可迁移。",
            "These states do not exist in v{version}: choose a new state for each, and its orders can move.",
        ),
        "studio.migrate.unmapped": Text("（不映射）", "(not mapped)"),
        "studio.migrate.replan": Text("按此映射重新计划", "Plan again with this mapping"),
        "studio.migrate.run_heading": Text("分批迁移", "Migrate in batches"),
        "studio.migrate.batch": Text("每批订单数", "Orders per batch"),
        "studio.migrate.run": Text("迁移这 {n} 个订单", "Migrate these {n} orders"),
        "studio.migrate.nothing": Text("没有可以迁移的订单。", "No order can move."),
        "studio.migrate.movers": Text("将迁移的订单", "Orders that move"),
        "studio.migrate.blocked": Text("留在原处的订单", "Orders that stay where they are"),
        "studio.migrate.order": Text("订单", "Order"),
        "studio.migrate.from_version": Text("原版本", "From"),
        "studio.migrate.started": Text("新进入的分区状态", "Regions entered anew"),
        "studio.migrate.run_title": Text("迁移 {workflow} 到 v{version}", "Moving {workflow} to v{version}"),
        "studio.migrate.progress": Text("已迁移 {n} / {m} 个订单", "Moved {n} of {m} orders"),
        "studio.migrate.batches": Text(
            "由 {who} 于 {at} 开始，已运行 {n} 批。", "Started by {who} at {at}; {n} batch(es) run."
        ),
        "studio.migrate.batches_heading": Text("已运行的批次", "Batches run"),
        "studio.migrate.batch_number": Text("批次", "Batch"),
        "studio.migrate.batch_of": Text("第 {n} 批，共 {m} 批", "{n} of {m}"),
        "studio.migrate.batch_moved": Text("迁移", "Moved"),
        "studio.migrate.batch_stayed": Text("留在原处", "Stayed"),
        "studio.migrate.batch_so_far": Text("至此", "By then"),
        "studio.migrate.next": Text("迁移下一批", "Migrate the next batch"),
        "studio.migrate.pause": Text("暂停", "Pause"),
        "studio.migrate.done": Text(
            "迁移完成：{n} 个订单已迁移到 v{version}。", "Done: {n} order(s) moved to v{version}."
        ),
        "studio.migrate.conflict": Text(
            "本批运行时有订单被修改，本批未写入任何内容；请再次迁移下一批。",
            "An order changed while this batch ran, so nothing of the batch was written; migrate the next "
            "batch to try again.",
        ),
        "studio.migrate.bad_version": Text(
            "{field} 须是已发布版本的编号，而不是“{value}”。",
            "{field} must be the number of a published version, not “{value}”.",
        ),
        "studio.migrate.bad_batch": Text(
            "每批订单数（batch）须是 1 到 {max} 之间的整数，而不是“{value}”。",
            "The orders per batch (batch) must be a whole number from 1 to {max}, not “{value}”.",
        ),
        "studio.migrate.bad_map": Text(
            "映射（map）须写成 原状态=新状态，而不是“{value}”。",
            "A mapping (map) is written old=new, not “{value}”.",
        ),
        "studio.migrate.map_twice": Text(
            "状态 {state} 被映射了两次（{first}、{second}）。",
            "State {state} is mapped twice ({first}, {second}).",
        ),
        "outbox.heading": Text("发件箱：待发送、已发送与死信", "Outbox: waiting, sent and dead letters"),
        "outbox.intro": Text(
            "订单流程要发往外部的消息（通知客户、收款、退款、运单、补货建议）由后台进程投递。"
            "投递失败的消息会逐次延后重试；多次失败或无法投递的成为死信，修正原因（如收件人、"
            "邮件服务器）后可重新发送。",
            "Messages the order processes send outside (customer notifications, payments, refunds, "
            "waybills, replenishment suggestions) are delivered by the worker. A failed one is tried "
            "again, later each time; one that failed too often, or cannot be delivered, becomes a dead "
            "letter: fix the cause (a recipient, the mail server) and send it again.",
        ),
        "outbox.dead_count": Text("{n} 封死信待处理", "{n} dead letter(s) to look at"),
        "outbox.status.all": Text("全部", "All"),
        "outbox.status.dead": Text("死信", "Dead letters"),
        "outbox.status.pending": Text("待发送", "Waiting"),
        "outbox.status.sent": Text("已发送", "Sent"),
        "outbox.status.internal": Text("内部事件", "Internal events"),
        "outbox.state.dead": Text("死信（已停止重试）", "Dead letter (no more attempts)"),
        "outbox.state.pending": Text("待发送", "Waiting to be delivered"),
        "outbox.state.sent": Text("已发送", "Sent"),
        "outbox.state.internal": Text(
            "内部事件（供事件关联规则读取，不对外投递）",
            "Internal event (read by the correlation rules, never delivered)",
        ),
        "outbox.when.all": Text("写入于", "Written"),
        "outbox.when.dead": Text("成为死信于", "Dead since"),
        # a row's status where every status is listed (the tab 全部 / All)
        "outbox.kind.dead": Text("死信", "Dead letter"),
        "outbox.kind.pending": Text("待发送", "Waiting"),
        "outbox.kind.sent": Text("已发送", "Sent"),
        "outbox.kind.internal": Text("内部事件", "Internal event"),
        "outbox.unlisted": Text("未登记的主题", "unlisted topic"),
        "outbox.unlisted.hint": Text(
            "此主题没有中英文名称（来自插件或规则文件）：按其原名显示",
            "This topic has no name in words (a plugin's or a rule file's): shown as it is written",
        ),
        "outbox.when.pending": Text("下次尝试", "Next attempt"),
        "outbox.when.sent": Text("发送于", "Sent"),
        "outbox.when.internal": Text("写入于", "Written"),
        "outbox.message": Text("消息 #{id}", "Message #{id}"),
        "outbox.topic": Text("主题", "Topic"),
        "outbox.department": Text("部门", "Department"),
        "outbox.order": Text("订单", "Order"),
        "outbox.attempts": Text("尝试次数", "Attempts"),
        "outbox.error": Text("最近一次错误", "Last error"),
        "outbox.state": Text("状态", "Status"),
        "outbox.created": Text("写入时间", "Written"),
        "outbox.last_attempt": Text("最近一次尝试", "Last attempt"),
        "outbox.replayed_by": Text("重新发送人", "Sent again by"),
        "outbox.payload": Text("消息内容", "Payload"),
        "outbox.unreadable": Text("无法读取", "unreadable"),
        "outbox.none": Text("这里没有消息。", "No message here."),
        "outbox.all_topics": Text("全部主题", "all topics"),
        "outbox.replay": Text("重新发送", "Send again"),
        "outbox.replay_now": Text("立即重试", "Try now"),
        "outbox.replay_all": Text("重新发送以下全部死信", "Send all these dead letters again"),
        "outbox.replayed": Text(
            "已重新排队：后台进程将在下一轮投递。", "Queued again: the worker delivers it at its next round."
        ),
        "outbox.replayed_many": Text(
            "已将 {n} 封死信重新排队：后台进程将在下一轮投递。",
            "{n} dead letter(s) queued again: the worker delivers them at its next round.",
        ),
        "outbox.back": Text("返回发件箱", "Back to the outbox"),
        "outbox.refused.title": Text("无法执行", "Not possible"),
        "outbox.forbidden.title": Text("无权查看", "Not allowed"),
        "outbox.not_found.title": Text("找不到这条消息", "Message not found"),
        "errors.400.title": Text("请求无法处理", "Bad request"),
        "errors.400": Text("这个请求不完整或格式不对。", "The request was incomplete or malformed."),
        "errors.csrf.title": Text("页面已过期", "This page has expired"),
        "errors.csrf": Text(
            "此页面打开太久或已在别处提交，未做任何更改。请返回、刷新页面后再提交。",
            "This page was open too long or was sent from elsewhere; nothing was changed. Go back, "
            "reload the page and send it again.",
        ),
        "errors.401.title": Text("请先登录", "Log in first"),
        "errors.401": Text(
            "您的登录已失效或尚未登录，未做任何更改。请刷新页面并登录。",
            "You are not logged in (or your login has expired); nothing was changed. Reload the page "
            "and log in.",
        ),
        "errors.404.title": Text("找不到此页面", "Not found"),
        "errors.404": Text("没有这个地址。", "There is nothing at this address."),
        "errors.403.title": Text("无权访问", "Not yours to open"),
        "errors.403": Text(
            "您的角色不能打开此页面；如需访问，请联系部门管理员。",
            "Your roles do not open this page; ask your department's admin if you need it.",
        ),
        "errors.405.title": Text("不支持此操作", "Not allowed here"),
        "errors.405": Text(
            "此地址不接受这种请求（例如直接打开了只能提交的地址）。",
            "This address does not take this kind of request (an address that only takes a form was "
            "opened directly, say).",
        ),
        "errors.413.title": Text("提交的内容过大", "Too large"),
        "errors.413": Text(
            "提交的内容超过了 {limit} 的上限，未做任何更改。",
            "What was sent is over the {limit} limit; nothing was changed.",
        ),
        "errors.500.title": Text("服务器出错", "Server error"),
        "errors.500": Text(
            "处理请求时出错，未做任何更改。请稍后再试；如果问题持续，请联系管理员。",
            "Something went wrong handling the request; nothing was changed. Try again later, and tell "
            "your administrator if it goes on.",
        ),
        # --- my work (web/workspace.py): the orders a person may act on, the queues, claims
        "work.title": Text("我的工作", "My work"),
        "work.intro": Text(
            "您现在可以处理的订单，按部门列出：您认领的在前，其余按进入当前状态的时间从早到晚。",
            "The orders you can take a step on now, by department: those you claimed first, then the "
            "others, longest in their state first.",
        ),
        "work.filter": Text("显示", "Show"),
        "work.filter.any": Text("全部", "All"),
        "work.filter.unassigned": Text("未认领", "Unassigned"),
        "work.filter.mine": Text("我认领的", "Mine"),
        "work.bad_filter": Text(
            "没有“{sent}”这种筛选；可选：全部、未认领、我认领的。",
            "There is no filter “{sent}”: choose all, unassigned or mine.",
        ),
        "work.bad_filter.title": Text("无法显示此列表", "This list cannot be shown"),
        "work.bad_after.title": Text("无法显示此页", "This page cannot be shown"),
        "work.none": Text("现在没有需要您处理的订单。", "There is no order for you to act on now."),
        "work.none.mine": Text(
            "您没有认领任何可处理的订单。在订单上点「认领」，它就会列在这里。",
            "You have claimed no order you can act on. Claim one on its page and it is listed here.",
        ),
        "work.none.unassigned": Text(
            "没有无人认领、需要您处理的订单。", "No unclaimed order waits for you to act on it."
        ),
        "work.department": Text("{department}：{count} 单可处理", "{department}: {count} to act on"),
        "work.more": Text("更多订单", "More orders"),
        "work.first_page": Text("回到第一页", "Back to the first page"),
        "work.in_state_for": Text("在此状态 {age}", "in this state for {age}"),
        "work.waiting": Text("暂不能处理：{reason}", "Waiting: {reason}"),
        # what a row says of an order about another (original_order:): the refund asked, that order
        "work.row.asked": Text("申请退款 ¥{amount}", "Refund asked ¥{amount}"),
        "work.row.original": Text("原订单 #{id}", "Original order #{id}"),
        "work.held": Text("挂起原因：{reason}", "On hold: {reason}"),
        # an order's soonest timer on its row of my work, as a sentence: when (work.due.in, work.due.now),
        # the step, the reason; an approval's timeout by what it does
        "work.due": Text("{when}将自动{step}（{reason}）", "Automatic “{step}” {when} ({reason})"),
        "work.due.no_reason": Text("{when}将自动{step}", "Automatic “{step}” {when}"),
        "work.due.in": Text("{span}后", "in {span}"),
        "work.due.now": Text("即刻", "now"),
        "work.due.remind": Text(
            "{when}提醒审批人（审批超时）", "The approvers are reminded {when} (approval timeout)"
        ),
        "work.due.approve": Text(
            "{when}自动通过（审批超时）", "Approved automatically {when} (approval timeout)"
        ),
        "work.due.return": Text(
            "{when}退回到{state}（审批超时）", "Returned to {state} {when} (approval timeout)"
        ),
        "work.due.escalate": Text(
            "{when}升级给{role}（审批超时）", "Escalated to the {role} {when} (approval timeout)"
        ),
        "work.refused": Text(
            "暂不能处理（{n} 单，不计入可处理）：您的操作现在都不能执行，原因见各单",
            "Not yours to act on yet ({n}, not counted): each says why its steps are refused now",
        ),
        "work.later": Text(
            "到期将自动处理（{n} 单）：以下操作均为可选",
            "Moving on by themselves ({n}): the steps below are optional",
        ),
        "work.record_step": Text("{record}：{action}", "{record}: {action}"),
        "work.handled_by": Text("{name} 处理中", "being handled by {name}"),
        "work.handled_by_me": Text("我处理中", "being handled by you"),
        "work.unassigned": Text("无人认领", "unassigned"),
        "work.claim": Text("认领", "Claim"),
        "work.release": Text("放弃认领", "Unclaim"),
        "work.take_over": Text("接手", "Take over"),
        "work.claimed_since": Text("自 {since} 起", "since {since}"),
        "work.claim.heading": Text("处理人", "Handled by"),
        "work.conflict.title": Text("此订单已有人处理", "Someone is handling this order"),
        "work.conflict": Text(
            "订单 #{id} 已由 {name} 自 {since} 起处理。接手后将改由您处理，{name} 会在订单上看到。",
            "Order #{id} is being handled by {name} since {since}. Taking it over makes you its handler; "
            "{name} sees it on the order.",
        ),
        "work.conflict.keep": Text("不接手，返回", "Leave it, go back"),
        "work.refused.title": Text("无法认领此订单", "This order cannot be claimed"),
        "work.done.claim": Text(
            "已认领订单 #{id}：现在由您处理。", "Order #{id} claimed: you are handling it now."
        ),
        "work.done.take_over": Text(
            "已接手订单 #{id}：现在由您处理。", "Order #{id} taken over: you are handling it now."
        ),
        "work.done.release": Text(
            "已放弃认领订单 #{id}：其他人可以认领。", "Order #{id} unclaimed: anyone may claim it now."
        ),
        "work.queues": Text("审核队列", "Review queues"),
        "work.stock": Text("库存预警：{count} 项待补货", "Low-stock alerts: {count} to reorder"),
        "work.stock.intro": Text(
            "可用库存低于安全库存的商品，附补货建议；在库存页查看明细或调整安全库存。",
            "Products whose free units are below their safety stock, each with its reorder suggestion; "
            "the stock pages hold the figures and the safety stocks.",
        ),
        "work.stock.row": Text(
            "可用 {available}，安全库存 {safety}，建议补货 {suggested} 件",
            "{available} free, safety stock {safety}: reorder {suggested}",
        ),
        "work.stock.row_covered": Text(
            "可用 {available}，安全库存 {safety}，在途 {in_transit} 件可补足，暂不需补货",
            "{available} free, safety stock {safety}: the {in_transit} in transit cover it, "
            "nothing to reorder",
        ),
        "work.stock.all": Text("全部库存预警", "All low-stock alerts"),
        "work.stock.transfers": Text("在途调拨", "Transfers in transit"),
        "work.queues.none": Text(
            "您所在部门的流程没有声明审核队列。", "No workflow of your departments declares a queue."
        ),
        "work.queues.not_yours": Text(
            "您所在部门的审核队列中没有您可处理的步骤或可签的审批。",
            "No queue of your departments holds a step or an approval of yours.",
        ),
        "work.queue": Text("队列", "Queue"),
        "work.queue.orders": Text("订单数", "Orders"),
        "work.queue.oldest": Text("最久等待", "Oldest waiting"),
        "work.queue.empty": Text("队列中没有订单。", "The queue is empty."),
        "work.queue.title": Text("{queue} 队列", "Queue: {queue}"),
        "work.queue.intro": Text(
            "最紧急的在前：定时器将处理的按到期先后，其余按进入当前状态的时间从早到晚。",
            "Most urgent first: those a timer presses by when it is due, then the longest in their state.",
        ),
        "work.age.minutes": Text("{n} 分钟", "{n} min"),
        "work.age.hours": Text("{n} 小时", "{n} h"),
        "work.age.days": Text("{n} 天", "{n} d"),
        "work.age.now": Text("不到 1 分钟", "under a minute"),
        "work.approvals": Text("待我审批（{count}）", "Approvals for me ({count})"),
        "work.approval.waiting_for": Text("已等待 {age}", "waiting {age}"),
        "work.approval.by_role": Text("请{role}审批", "asked of: {role}"),
        "work.approval.deadline": Text("截止 {at}", "due {at}"),
        "work.approval.why": Text("审批原因：{reason}", "Why approval: {reason}"),
        "work.event.claim": Text("认领订单", "Claimed the order"),
        "work.event.release": Text("放弃认领订单", "Unclaimed the order"),
        "work.event.take_over": Text("接手订单", "Took the order over"),
        "work.event.assign": Text("指派给 {name}", "Assigned to {name}"),
        "term.queue.risk-review": Text("风控审核", "Risk review"),
        "term.queue.stock-shortage": Text("缺货处理", "Stock shortage"),
        "term.queue.credit-review": Text("信用审核", "Credit review"),
        "term.queue.wholesale-approval": Text("批发审批", "Wholesale approval"),
        "term.queue.returns": Text("退货处理", "Returns"),
        "term.queue.after-sales-review": Text("售后审核", "After-sales review"),
        "term.queue.inspection": Text("质检", "Inspection"),
        "term.queue.refunds": Text("退款处理", "Refunds"),
        "orders.unreadable.title": Text("无法读取此订单", "This order cannot be read"),
        "orders.unreadable": Text(
            "此订单的存储格式不是本版本 OrderLoom 能读取的；没有做任何更改。请告诉管理员：",
            "This order is stored in a shape this version of OrderLoom cannot read; nothing was "
            "changed. Tell your administrator:",
        ),
        "orders.not_found.title": Text("找不到此页面", "Not found"),
        "orders.not_found": Text(
            "没有这个订单、流程或渠道，或者它不属于您所在的部门。",
            "There is no such order, workflow or channel, or it is not in your departments.",
        ),
        "keys.hint": Text("按 ? 查看键盘快捷键", "Press ? for the keyboard keys"),
        "keys.title": Text("键盘快捷键", "Keyboard keys"),
        "keys.move": Text("下一个 / 上一个订单", "Next / previous order"),
        "keys.select": Text("选中或取消选中当前订单", "Select the order, or unselect it"),
        "keys.open": Text("打开当前订单", "Open the order"),
        "keys.search": Text("到搜索框", "Go to the search box"),
        "keys.approve": Text("对选中的订单执行「{action}」", "{action} the orders selected"),
        "keys.approve_none": Text(
            "对选中的订单执行其所在批量操作的第一个操作（列表筛选到同一流程、同一状态时；我的工作与队列中按流程和状态分组）",
            "Take the first step of the batch the orders selected are in (on the list filtered to one "
            "workflow in one state; on my work and the queues, per workflow and state)",
        ),
        "keys.help": Text("显示或关闭本列表", "Show or close this list"),
        "keys.close": Text("关闭", "Close"),
        "orders.batch.select_hint": Text(
            "勾选订单（或按 x），再选择要对它们执行的操作；每个订单单独提交，结果逐一显示。",
            "Tick orders (or press x), then the step to take on them all; each order is its own "
            "transaction, with a result of its own.",
        ),
        "orders.batch.take": Text("批量{action}", "Selected: {action}"),
        # a group's button on my work and the queues: it takes the ticked orders of its state alone
        "orders.batch.take_of": Text("批量{action}（{state}）", "Selected: {action} ({state})"),
        "orders.batch.select": Text("选择", "Select"),
        "orders.batch.select_one": Text("选择订单 #{id}", "Select order #{id}"),
        "orders.batch.title": Text("批量{action}", "{action}: many orders"),
        "orders.batch.taken": Text(
            "将对 {n} 个订单执行「{action}」", "“{action}” will be taken on {n} order(s)"
        ),
        "orders.batch.none": Text(
            "所选订单都不能执行此操作：原因见下。",
            "None of the orders selected can take this step: see why below.",
        ),
        "orders.batch.left": Text("未包含的订单（{n} 个）", "Left out ({n})"),
        "orders.batch.not_found": Text(
            "没有这个订单，或它不属于您所在的部门", "No such order, or it is not in your departments"
        ),
        "orders.batch.not_from_here": Text(
            "订单现为「{state}」，不能从这里执行此操作",
            "The order is now “{state}”: the step does not leave it",
        ),
        "orders.batch.other_place": Text(
            "订单属于「{where}」，与第一个所选订单的流程或状态不同：批量操作只针对同一流程、同一状态的订单",
            "The order is in “{where}”, not the workflow and state of the first order selected: a batch "
            "takes orders of one workflow in one state",
        ),
        "orders.batch.submit": Text("对 {n} 个订单执行「{action}」", "{action}: {n} order(s)"),
        "orders.batch.running": Text("共 {n} 个订单，处理中……", "{n} order(s), working…"),
        "orders.batch.result": Text("结果", "Result"),
        "orders.batch.done_word": Text("已完成", "Done"),
        "orders.batch.refused_word": Text("未执行", "Refused"),
        "orders.batch.now_in": Text("现为「{state}」", "now “{state}”"),
        "orders.batch.summary": Text(
            "完成 {done} 个，未执行 {refused} 个。每个订单单独提交：未执行的订单没有任何更改。",
            "{done} done, {refused} refused. Each order was its own transaction: a refused order was not "
            "changed.",
        ),
        "orders.batch.back": Text("返回订单列表", "Back to the orders"),
        "orders.batch.back_here": Text("返回来源页面", "Back to where you were"),
        "orders.batch.back_work": Text("返回「我的工作」", "Back to My work"),
        "orders.batch.back_queue": Text("返回队列", "Back to the queue"),
        "orders.batch.nothing_ticked.title": Text("没有勾选订单", "No order ticked"),
        "orders.batch.nothing_ticked": Text(
            "请至少勾选一个订单，再按批量操作的按钮。",
            "Tick at least one order, then press the batch button.",
        ),
        "orders.batch.group": Text("{workflow} · {state}（{n} 单）", "{workflow} · {state} ({n})"),
        "orders.batch.group_part": Text(
            "{workflow} · {state}（共 {n} 单，本页 {shown} 单）",
            "{workflow} · {state} ({n}, {shown} on this page)",
        ),
        "orders.assign.action": Text("指派", "Assign"),
        "orders.assign.count": Text("指派 {n} 个订单", "Assign {n} order(s)"),
        "orders.assign.to": Text("指派给", "Assign to"),
        "orders.assign.to_hint": Text(
            "本部门中可处理这些订单的人；被指派的人会在「我的工作」中最先看到它们。",
            "The people of the department who may act on these orders; the one chosen finds them first "
            "in My work.",
        ),
        "orders.assign.none": Text(
            "所选订单都不能由您指派：原因见下。",
            "None of the orders selected may be assigned by you: see why below.",
        ),
        "orders.assign.nobody": Text(
            "本部门中没有可处理这些订单的人。", "No one in the department may act on these orders."
        ),
        "orders.assign.only_you": Text(
            "部门里没有其他可处理这些订单的人：只有您自己可以处理。",
            "No one else in the department may act on these orders: only you may.",
        ),
        "orders.assign.left": Text("不能指派的订单（{n} 个）", "Not to be assigned ({n})"),
        "work.approvals.approve": Text("审批通过", "Approve"),
        "work.approvals.decline": Text("驳回", "Decline"),
        "work.approvals.decline_ask": Text("驳回所选…", "Decline the selected…"),
        "work.approvals.decline_confirm": Text("确认驳回所选", "Confirm: decline the selected"),
        "work.approvals.decline_hint": Text(
            "所选的每个审批都将被驳回，不能撤回。请先在上方的意见中写明理由。",
            "Each approval selected is declined; it cannot be undone. Say why in the comment above first.",
        ),
        "work.approvals.refused": Text(
            "驳回未执行：没有任何审批被处理", "Not declined: no approval was touched"
        ),
        "work.approvals.refused_approve": Text(
            "审批未执行：没有任何审批被处理", "Not approved: no approval was touched"
        ),
        "work.approvals.approve_confirm": Text("审批通过所选", "Approve the selected"),
        "work.approvals.selected": Text("已选 {n} 个审批任务。", "Approval tasks selected: {n}."),
        "work.approvals.hint": Text(
            "勾选审批任务（或按 x），写一条意见，再全部通过或全部驳回；每个任务单独签署，结果逐一显示。",
            "Tick approval tasks (or press x), write one comment, then approve or decline them all; each "
            "task is signed on its own, with a result of its own.",
        ),
        "work.approvals.comment": Text("意见（用于所选的每个任务）", "Comment (for each task selected)"),
        "work.approvals.select_one": Text("选择订单 #{id} 的审批任务", "Select the approval of order #{id}"),
        "forms.preview": Text("表单预览", "Form preview"),
        "forms.preview_file": Text(
            "表单预览（静态文件：不能提交，计算字段按所给数据计算）",
            "Form preview (a static file: it does not submit; computed fields are computed from the "
            "data given)",
        ),
        "forms.required_note": Text("为必填项", "marks a required field"),
        "forms.choose": Text("请选择", "Choose…"),
        # a person where a page names their roles beside their name (a picker of colleagues)
        "people.with_roles": Text("{name}（{roles}）", "{name} ({roles})"),
        # an account picked in the wholesale intake that holds no contact, mobile or address to fill in
        "options.accounts.nothing_on_file": Text(
            "该客户账户没有登记联系人、手机号和地址，请手动填写",
            "Nothing on file for this account: type in the contact, mobile number and address",
        ),
        "options.accounts.not_on_file": Text(
            "该客户账户没有登记{missing}，请手动填写", "Not on file for this account, to type in: {missing}"
        ),
        "options.accounts.contact": Text("联系人", "the contact"),
        "options.accounts.mobile": Text("手机号", "the mobile number"),
        "options.accounts.address": Text("地址", "the address"),
        "forms.submit": Text("提交", "Submit"),
        # the form's language button, said in the language it switches to
        "forms.lang_switch": Text("Switch to English", "切换到中文"),
        "forms.row": Text("第{n}行", "line {n}"),
        "forms.row_actions": Text("操作", "Actions"),
        "forms.add_row": Text("＋ 添加一行", "+ Add a line"),
        "forms.remove": Text("删除", "Remove"),
        "forms.remove_row": Text("删除第{n}行", "Remove line {n}"),
        "forms.rows_limits": Text("共{n}行（{low}–{high}行）", "{n} line(s) ({low} to {high})"),
        "forms.rows_count": Text("共{n}行", "{n} line(s)"),
        "forms.not_submitted": Text("提交未成功", "The form was not submitted"),
        "forms.errors_heading": Text(
            "提交未成功：请修正以下{n}处问题", "The form was not submitted: correct the {n} problem(s) below"
        ),
        "forms.valid": Text("校验通过", "The form is valid"),
        "forms.valid_note": Text(
            "以下是引擎将收到的数据（已去掉隐藏分组的字段，并算好计算字段）：",
            "This is the data the engine would receive (hidden groups' fields dropped, computed fields "
            "filled):",
        ),
        "forms.again": Text("再填一份", "Fill in another"),
        "forms.home": Text("返回首页", "Back to the home page"),
        "forms.not_found.title": Text("找不到这张表单", "Form not found"),
        "forms.not_found": Text(
            "没有这个部门或表单。地址应为 /forms/<部门>/<表单名>，对应 forms/<部门>/<表单名>.json。",
            "There is no such department or form. The address is /forms/<department>/<name>, for the "
            "file forms/<department>/<name>.json.",
        ),
        "forms.too_large.title": Text("提交的内容过大", "Too much data submitted"),
        "forms.too_large": Text(
            "提交的表单超过了允许的大小（{limit}），未被处理。请减少内容后重试。",
            "The form sent is larger than allowed ({limit}) and was not processed. Send less and try again.",
        ),
        "forms.too_many_rows.title": Text("提交的行数过多", "Too many lines sent"),
        "forms.too_many_rows": Text(
            "{message}，而提交了{rows}行。表单未被处理，未做任何更改。请返回页面，减少行数后再提交。",
            "{message}, and {rows} were sent. The form was not processed and nothing was changed. Go "
            "back to the page, remove lines and send it again.",
        ),
        "forms.broken.title": Text("表单定义有误", "The form definition has problems"),
        "forms.broken": Text(
            "这张表单的界面文件与数据结构不符，无法显示。请先修正以下问题（orderloom validate forms/ "
            "也会列出）：",
            "This form's UI file does not fit its data schema, so it cannot be shown. Fix these "
            "problems first (orderloom validate forms/ lists them too):",
        ),
        # --- the command line's words (cli/): translate("cli.…", lang), in the language of --lang
        "cli.error": Text("错误：{message}", "error: {message}"),
        "cli.validate.errors": Text("发现 {n} 个错误。", "{n} error(s) found."),
        "cli.rules.tested": Text(
            "{name}（版本 {version}）：{passed} 个通过，{failed} 个失败",
            "{name} (version {version}): {passed} passed, {failed} failed",
        ),
        "cli.scenario.summary": Text(
            "场景：{passed} 个通过，{failed} 个失败，{malformed} 个文件有误",
            "scenarios: {passed} passed, {failed} failed, {malformed} malformed",
        ),
        "cli.scenario.none": Text("没有找到场景文件：{paths}", "no scenario files found in {paths}"),
        "cli.rules.at": Text(
            "用例在 {at} 求值（未写 now 的用例）", "cases evaluated at {at} (those that give no 'now')"
        ),
        "cli.bad_option": Text("选项 {option}：{message}", "option {option}: {message}"),
        "cli.plugin_refused": Text(
            "插件无法加载：{message}；请修正它，或卸载提供它的包",
            "a plugin cannot be loaded: {message}; fix it, or uninstall the package that provides it",
        ),
        "cli.database_refused": Text(
            "数据库 {database} 拒绝了操作：{reason}", "the database {database} refused: {reason}"
        ),
        "cli.order.created": Text(
            "订单 #{order_id} 已创建，状态 {state}（{workflow} v{version}）",
            "order #{order_id} created in state {state} ({workflow} v{version})",
        ),
        "cli.order.fired": Text(
            "订单 #{order_id}：{from_state} --{trigger}--> {to_state}{then}",
            "order #{order_id}: {from_state} --{trigger}--> {to_state}{then}",
        ),
        "cli.order.then": Text("（随后 {triggers}）", " (then {triggers})"),
        "cli.orders.none": Text("没有符合条件的订单", "no orders match"),
        "cli.migrate.would_move": Text(
            "{workflow} -> v{version}：将迁移 {moves} 个订单；{blocked} 个无法迁移",
            "{workflow} -> v{version}: would move {moves} order(s); {blocked} cannot move",
        ),
        "cli.migrate.batch": Text(
            "第 {batch} 批：已迁移 {moves} 个订单", "batch {batch}: moved {moves} order(s)"
        ),
        "cli.migrate.would_move_batches": Text(
            "{workflow} -> v{version}：将分 {batches} 批（每批至多 {batch} 个）迁移 {moves} 个订单；"
            "{blocked} 个无法迁移",
            "{workflow} -> v{version}: would move {moves} order(s) in {batches} batch(es) of up to {batch};"
            " {blocked} cannot move",
        ),
        "cli.migrate.moved_batches": Text(
            "{workflow} -> v{version}：分 {batches} 批迁移了 {moves} 个订单；{blocked} 个无法迁移",
            "{workflow} -> v{version}: moved {moves} order(s) in {batches} batch(es); {blocked} cannot move",
        ),
        "cli.migrate.moved": Text(
            "{workflow} -> v{version}：已迁移 {moves} 个订单；{blocked} 个无法迁移",
            "{workflow} -> v{version}: moved {moves} order(s); {blocked} cannot move",
        ),
        "cli.reindex.chunk": Text(
            "第 {chunk} 批：订单 #{first} 至 #{last}，读取 {orders} 个，重写 {rewritten} 个",
            "chunk {chunk}: orders #{first} to #{last}, {orders} read, {rewritten} rewritten",
        ),
        "cli.reindex.done": Text(
            "已为 {orders} 个订单建立搜索索引（{terms} 个搜索词）；"
            "其中 {rewritten} 个的搜索词缺失或过时，已重写",
            "reindexed {orders} order(s) ({terms} search term(s)); {rewritten} had missing or stale terms"
            " and were rewritten",
        ),
        "cli.form.not_shown": Text(
            "{file} 无法显示；未写入任何文件", "{file} cannot be shown; nothing was written"
        ),
        "cli.form.wrote": Text("已写入 {output}（{title}{note}）", "wrote {output} ({title}{note})"),
        "cli.form.data_errors": Text(
            "；数据有 {count} 处错误，显示在对应字段旁",
            "; the data has {count} error(s), shown beside their fields",
        ),
        "cli.note": Text("注意：{message}", "note: {message}"),
        "cli.list_separator": Text("；", "; "),
        "cli.refused_heading": Text("{headline}：", "{headline}:"),
        "cli.field_problem": Text("  {field}：{problem}", "  {field}: {problem}"),
        "cli.in_forms": Text("（{forms}）", " ({forms})"),
        # --- orderloom lists (cli/lists.py)
        "cli.lists.refused": Text("名单未改动：", "the list was not changed:"),
        "cli.lists.created": Text(
            "已建立名单 {name}（{department}，{kind}）", "created list {name} ({department}, {kind})"
        ),
        "cli.lists.none": Text("部门 {department} 没有名单", "department {department} has no lists"),
        "cli.lists.count": Text("{n} 个值", "{n} value(s)"),
        "cli.lists.no_values": Text("  （没有值）", "  (no values)"),
        "cli.lists.changes": Text("最近的改动：", "latest changes:"),
        "cli.lists.added": Text(
            "已添加 {value}（匹配键 {key}）到名单 {name}", "added {value} (matched as {key}) to list {name}"
        ),
        "cli.lists.removed": Text("已从名单 {name} 移除 {value}", "removed {value} from list {name}"),
        "cli.lists.unreadable": Text("无法读取 {file}：{error}", "cannot read {file}: {error}"),
        "cli.lists.not_imported": Text("{file} 未导入：", "{file} was not imported:"),
        "cli.lists.imported": Text("已导入 {n} 个值到名单 {name}", "imported {n} value(s) into list {name}"),
        "cli.account.added": Text(
            "已添加部门 {department} 的客户账户 {account_no}：{record}",
            "account {account_no} of {department} added: {record}",
        ),
        "cli.account.updated": Text(
            "已更新部门 {department} 的客户账户 {account_no}：{record}",
            "account {account_no} of {department} updated: {record}",
        ),
        "cli.account.listed": Text(
            "{department} {account_no}：{record}", "{department} {account_no}: {record}"
        ),
        "cli.account.record": Text(
            "{company}，信用额度 {credit_limit}，期初欠款 {outstanding}{owed}，"
            "逾期 {overdue_days} 天，{status}{extra}",
            "{company}, credit limit {credit_limit}, opening balance {outstanding}{owed}, "
            "{overdue_days} day(s) overdue, {status}{extra}",
        ),
        # what the account owes in all: its opening balance and its open orders (owed())
        "cli.account.owed": Text("，共欠款 {owed}", ", owed in all {owed}"),
        "cli.account.tier": Text("，等级 {tier}", ", tier {tier}"),
        "cli.account.tax_id": Text("，税号 {tax_id}", ", tax id {tax_id}"),
        "cli.account.manager": Text("，客户经理 {manager}", ", account manager {manager}"),
        "cli.account.contact": Text("，联系人 {contact}", ", contact {contact}"),
        "cli.account.address": Text("，地址 {address}", ", address {address}"),
        "cli.account.none": Text(
            "还没有客户账户：`orderloom accounts set 编号 --department … --company … --credit-limit …`",
            "no accounts yet: `orderloom accounts set NUMBER --department … --company … --credit-limit …`",
        ),
        "cli.replay.no_orders": Text(
            "{ruleset}：您可见的订单中没有运行此规则集已发布版本的",
            "{ruleset}: no order you may see runs a published version of this rule set",
        ),
        "cli.replay.summary": Text(
            "{ruleset}：草稿版本 {version} 回放最近 {orders} 个订单：{changes} 个结果会改变",
            "{ruleset}: draft version {version} over the last {orders} order(s): {changes} would change",
        ),
        "cli.replay.spoke": Text(
            "已发布：{published}；草稿：{draft}", "published: {published}; draft: {draft}"
        ),
        "cli.replay.none": Text("无", "none"),
        "cli.account.checked": Text("已按以下表单检查：{forms}", "checked against: {forms}"),
        # --- the product catalogue (商品目录): `orderloom products` and the /products pages
        "cli.product.added": Text("已添加商品 {sku}：{record}", "product {sku} added: {record}"),
        "cli.product.updated": Text("已更新商品 {sku}：{record}", "product {sku} updated: {record}"),
        "cli.product.listed": Text("{sku}：{record}", "{sku}: {record}"),
        "cli.product.record": Text(
            "{name_zh} / {name_en}，{price} 元，{kind}{extra}",
            "{name_zh} / {name_en}, {price} CNY, {kind}{extra}",
        ),
        "cli.product.weight": Text("，{weight} 千克", ", {weight} kg"),
        "cli.product.volume": Text("，{volume} 升", ", {volume} l"),
        "cli.product.inactive": Text("，已停售", ", discontinued"),
        "cli.product.none": Text(
            "目录中还没有商品：`orderloom products set SKU …` 或 `orderloom products import 文件.csv`",
            "no products yet: `orderloom products set SKU …` or `orderloom products import FILE.csv`",
        ),
        "cli.product.not_found": Text("目录中没有商品 {sku}", "no product {sku} in the catalogue"),
        "cli.product.imported": Text(
            "已导入 {file}：新增 {added} 个商品，更新 {changed} 个",
            "imported {file}: {added} product(s) added, {changed} updated",
        ),
        "cli.product.refused": Text(
            "{file} 未导入（共 {count} 处错误），目录未作任何改动：",
            "{file} was not imported ({count} error(s)); the catalogue is unchanged:",
        ),
        "cli.product.not_stored": Text("商品 {sku} 未保存：", "product {sku} was not stored:"),
        "catalogue.title": Text("商品目录", "Products"),
        "catalogue.priced": Text(
            "商品名称和单价取自商品目录：选择商品后自动填入，不能手工修改",
            "Named and priced from the catalogue: filled in when the product is picked, not typed",
        ),
        "catalogue.named": Text(
            "商品名称取自商品目录：选择商品后自动填入，不能手工修改",
            "Named from the catalogue: filled in when the product is picked, not typed",
        ),
        "catalogue.search": Text("按编码或名称搜索", "Search by SKU or name"),
        "catalogue.search_button": Text("搜索", "Search"),
        "catalogue.sku": Text("商品编码", "SKU"),
        "catalogue.name_zh": Text("中文名称", "Chinese name"),
        "catalogue.name_en": Text("英文名称", "English name"),
        "catalogue.name": Text("名称", "Name"),
        "catalogue.price": Text("单价（元）", "Price (CNY)"),
        "catalogue.weight_kg": Text("重量（千克）", "Weight (kg)"),
        "catalogue.volume_l": Text("体积（升）", "Volume (litres)"),
        "catalogue.kind": Text("类型", "Kind"),
        "catalogue.kind.shipped": Text("实物（需发货）", "Shipped goods"),
        "catalogue.kind.virtual": Text("虚拟（无需仓库与承运商）", "Virtual (no warehouse, no carrier)"),
        "catalogue.active": Text("在售", "On sale"),
        "catalogue.inactive": Text("已停售", "Discontinued"),
        "catalogue.updated": Text("最后修改", "Last changed"),
        "catalogue.none": Text("没有找到商品。", "No products found."),
        "catalogue.next": Text("下一页", "Next page"),
        "catalogue.first": Text("第一页", "First page"),
        "catalogue.new": Text("新增商品", "New product"),
        "catalogue.edit": Text("修改", "Edit"),
        "catalogue.stock": Text("查看库存", "Its stock"),
        "catalogue.save": Text("保存", "Save"),
        "catalogue.back": Text("返回商品目录", "Back to the products"),
        "catalogue.saved": Text("已保存商品 {sku}。", "Product {sku} saved."),
        "catalogue.not_saved": Text("未保存：请改正下列错误。", "Not saved: correct what is marked."),
        "catalogue.not_found": Text("目录中没有商品 {sku}。", "No product {sku} in the catalogue."),
        "catalogue.not_found.title": Text("找不到此商品", "No such product"),
        "catalogue.upload": Text("导入 CSV", "Import CSV"),
        "catalogue.upload_help": Text(
            "UTF-8 编码的 CSV 文件，第一行为列名：sku、name_zh、name_en、price（必填），"
            "weight_kg、volume_l、kind（shipped 或 virtual）、active（可选）。有任何错误时不保存任何商品。",
            "A UTF-8 CSV file whose first row names the columns: sku, name_zh, name_en, price (required), "
            "weight_kg, volume_l, kind (shipped or virtual), active (optional). Nothing is stored while any "
            "row has an error.",
        ),
        "catalogue.upload_button": Text("导入", "Import"),
        "catalogue.no_file": Text("请选择一个 CSV 文件。", "Choose a CSV file."),
        "catalogue.too_large": Text(
            "文件过大：上限 {limit}；请分成几个文件导入。目录未作任何改动。",
            "The file is too large: the limit is {limit}; import it in several files. "
            "The catalogue is unchanged.",
        ),
        "catalogue.imported": Text(
            "已导入 {file}：新增 {added} 个商品，更新 {changed} 个。",
            "Imported {file}: {added} product(s) added, {changed} updated.",
        ),
        "catalogue.refused": Text(
            "{file} 未导入，目录未作任何改动。共 {count} 处错误：",
            "{file} was not imported; the catalogue is unchanged. {count} error(s):",
        ),
        "catalogue.export": Text("导出 CSV", "Export CSV"),
        "catalogue.admins_only": Text("只有管理员可以修改商品目录。", "Only admins change the catalogue."),
        "catalogue.row": Text("第 {row} 行", "Row {row}"),
        # --- the stock pages (web/stock.py)
        "stock.title": Text("库存", "Stock"),
        "stock.tab.levels": Text("库存", "Levels"),
        "stock.tab.ledger": Text("台账", "Ledger"),
        "stock.tab.transfers": Text("调拨", "Transfers"),
        "stock.tab.takes": Text("盘点", "Stock-takes"),
        "stock.tab.alerts": Text("库存预警", "Low-stock alerts"),
        "stock.tab.receive": Text("入库", "Receive"),
        "stock.tab.adjust": Text("调整", "Adjust"),
        "stock.sku": Text("商品编码", "SKU"),
        "stock.sku_prefix": Text("商品编码开头", "SKU starts with"),
        "stock.warehouse": Text("仓库", "Warehouse"),
        "stock.any_warehouse": Text("全部仓库", "Every warehouse"),
        "stock.on_hand": Text("现有", "On hand"),
        "stock.reserved": Text("占用", "Reserved"),
        "stock.available": Text("可用", "Free"),
        "stock.safety": Text("安全库存", "Safety stock"),
        "stock.low": Text("低于安全库存", "Below safety stock"),
        "stock.only_low": Text("只看低于安全库存的", "Only those below their safety stock"),
        "stock.filter": Text("筛选", "Filter"),
        "stock.none": Text("没有记录", "Nothing here"),
        "stock.more": Text("下一页", "Next page"),
        "stock.first": Text("第一页", "First page"),
        "stock.at": Text("时间", "Time"),
        "stock.change": Text("变动", "Change"),
        "stock.kind": Text("类型", "Kind"),
        "stock.any_kind": Text("全部类型", "Every kind"),
        "stock.reference": Text("单据", "Reference"),
        "stock.actor": Text("操作人", "By"),
        "stock.note": Text("说明", "Note"),
        "stock.ledger.after": Text("结存", "Balance"),
        "stock.ledger.on_hand_now": Text(
            "{sku} 在 {warehouse} 现有 {units} 件；结存为每条记录之后的现有数。",
            "{sku} in {warehouse}: {units} on hand now; the balance is what was on hand after each entry.",
        ),
        "stock.kind.opening": Text("期初", "Opening"),
        "stock.kind.receive": Text("入库", "Received"),
        "stock.kind.transfer_out": Text("调出", "Transferred out"),
        "stock.kind.transfer_in": Text("调入", "Transferred in"),
        "stock.kind.count": Text("盘点差异", "Stock-take difference"),
        "stock.kind.adjust": Text("调整", "Adjusted"),
        "stock.kind.ship": Text("发货", "Shipped"),
        "stock.kind.restock": Text("退货入库", "Return restocked"),
        "stock.kind.exchange_return": Text("换货退回入库", "Exchange return restocked"),
        "stock.qty": Text("数量", "Quantity"),
        "stock.receive.heading": Text("入库", "Receive goods"),
        "stock.receive.intro": Text(
            "收到的商品记入所选仓库的现有库存，并写入台账。",
            "The goods received are added to the warehouse's stock on hand and written to the ledger.",
        ),
        "stock.receive.submit": Text("入库", "Receive"),
        "stock.adjust.heading": Text("库存调整", "Adjust stock"),
        "stock.adjust.intro": Text(
            "增加或减少现有库存（负数为减少），须写明原因；不能少于已占用的数量。",
            "Add to or take from the stock on hand (a negative number takes away), with the reason; "
            "never below what is reserved.",
        ),
        "stock.adjust.change": Text("调整数量（负数为减少）", "Change (negative takes away)"),
        "stock.reason": Text("原因", "Reason"),
        "stock.adjust.submit": Text("调整", "Adjust"),
        "stock.done.receive": Text("已入库", "Received"),
        "stock.done.adjust": Text("已调整", "Adjusted"),
        "stock.transfer.no": Text("调拨单", "Transfer"),
        "stock.transfer.from": Text("调出仓库", "From"),
        "stock.transfer.to": Text("调入仓库", "To"),
        "stock.transfer.received": Text("已收", "Received"),
        "stock.transfer.in_transit": Text("在途", "In transit"),
        "stock.transfer.state": Text("状态", "State"),
        "stock.transfer.state.in_transit": Text("在途", "In transit"),
        "stock.transfer.state.partly_received": Text("部分收货", "Partly received"),
        "stock.transfer.state.received": Text("已收货", "Received"),
        "stock.transfer.sent": Text("发出", "Sent"),
        "stock.transfer.new": Text("新建调拨", "New transfer"),
        "stock.transfer.intro": Text(
            "调出仓库的可用库存立即减少，商品在途，直到调入仓库收货（可分批）。",
            "The units leave the first warehouse at once and are in transit until the other receives "
            "them, partly or wholly.",
        ),
        "stock.transfer.submit": Text("发出", "Send"),
        "stock.transfer.receive": Text("收货", "Receive"),
        "stock.transfer.receive_qty": Text("收货数量（留空为全部）", "Units (empty: all in transit)"),
        "stock.transfer.show_all": Text("显示全部调拨", "Every transfer"),
        "stock.transfer.show_in_transit": Text("只看在途", "In transit only"),
        "stock.take.no": Text("盘点单", "Stock-take"),
        "stock.take.state.open": Text("盘点中", "Open"),
        "stock.take.state.posted": Text("已过账", "Posted"),
        "stock.take.state.cancelled": Text("已取消", "Cancelled"),
        "stock.take.open": Text("新建盘点", "Open a count"),
        "stock.take.opened": Text("开始", "Opened"),
        "stock.take.book": Text("账面", "Book"),
        "stock.take.counted": Text("盘点数", "Counted"),
        "stock.take.difference": Text("差异", "Difference"),
        "stock.take.count": Text("录入盘点数", "Enter the count"),
        "stock.take.post": Text("过账", "Post"),
        "stock.take.cancel": Text("取消盘点", "Cancel the count"),
        "stock.take.review": Text(
            "复核每个商品的盘点数与账面的差异，过账后差异记入台账。盘点数不能少于该仓库已占用的数量。",
            "Review each count against the book; posting writes the differences to the ledger. "
            "A count may not be below what is reserved in the warehouse.",
        ),
        "stock.alert.intro": Text(
            "可用库存低于安全库存的商品。建议补货 = 近30天发货 + 安全库存 − 可用 − 在途；"
            "采购人员会收到邮件。",
            "Rows whose free units are below their safety stock. Reorder = shipped in the last 30 days "
            "+ safety stock − free − in transit; the purchasers are mailed.",
        ),
        "stock.alert.shipped": Text("近30天发货", "Shipped (30 days)"),
        "stock.alert.in_transit": Text("在途", "In transit"),
        "stock.alert.suggested": Text("建议补货", "Reorder"),
        "stock.alert.covered": Text("在途可补足", "covered by what is in transit"),
        "stock.alert.none": Text("没有低于安全库存的库存", "No stock is below its safety stock"),
        "stock.read_only": Text(
            "您可以查看库存；入库、调拨、盘点和调整由仓库人员操作。",
            "You may read the stock; the warehouse receives, transfers, counts and adjusts it.",
        ),
        "stock.read_only.safety": Text(
            "您可以查看库存并设置安全库存；入库、调拨、盘点和调整由仓库人员操作。",
            "You may read the stock and set its safety stock; the warehouse receives, transfers, counts "
            "and adjusts it.",
        ),
        "stock.tab.safety": Text("安全库存", "Safety stock"),
        "stock.safety.heading": Text("设置安全库存", "Set a safety stock"),
        "stock.safety.intro": Text(
            "可用库存低于安全库存时，采购人员会收到补货建议。留空则取消该仓库此商品的安全库存。",
            "When the free units fall below the safety stock, the purchasers are sent a reorder "
            "suggestion. Leave it empty to clear the safety stock of the sku in that warehouse.",
        ),
        "stock.safety.units": Text("安全库存（件）", "Safety stock (units)"),
        "stock.safety.submit": Text("保存", "Save"),
        "stock.safety.set": Text("设置", "Set"),
        "stock.done.safety": Text("已保存安全库存", "Safety stock saved"),
        "stock.sent_before": Text(
            "这张表单已经提交过（内容不同），没有再次记账。请先查看台账，再在重新打开的表单上提交。",
            "This form was sent already, with other values, and nothing more was booked. Check the "
            "ledger, then send the form drawn afresh.",
        ),
        "stock.transfer.done": Text(
            "已发出调拨单 {no}：{qty} 件 {sku}，从 {source} 调往 {dest}，收货前为在途。",
            "Transfer {no} sent: {qty} × {sku} from {source} to {dest}, in transit until received.",
        ),
        "stock.transfer.received_done": Text(
            "已收货：调拨单 {no}，{units} 件 {sku} 收入 {dest}；"
            "已收 {received} / {qty} 件，仍在途 {in_transit} 件。",
            "Received: {units} × {sku} of transfer {no} into {dest}; {received} of {qty} received, "
            "{in_transit} still in transit.",
        ),
        "stock.transfer.received_all": Text(
            "已收货：调拨单 {no}，{units} 件 {sku} 收入 {dest}；{qty} 件已全部收到。",
            "Received: {units} × {sku} of transfer {no} into {dest}; all {qty} are in.",
        ),
        "stock.take.post_ask": Text(
            "过账后，每个商品的差异记入台账，盘点单不能再修改。确定过账盘点单 {no}？",
            "Posting writes each difference to the ledger, and the stock-take can no longer change. "
            "Post stock-take {no}?",
        ),
        "stock.take.post_confirm": Text("确定过账", "Yes, post it"),
        "stock.take.uncounted": Text(
            "该仓库还有 {count} 个商品未盘点（{skus}）：过账不改动它们的账面，留待以后盘点。",
            "Not counted yet: {count} of the warehouse's products ({skus}). Posting leaves their book as it "
            "is, for a later count.",
        ),
        "stock.take.go_open": Text("打开盘点单 {no}", "Open stock-take {no}"),
        "stock.take.closed": Text("过账或取消", "Posted or cancelled"),
        "actor.system": Text("系统", "System"),
        "stock.missing": Text("没有找到", "Not found"),
        "stock.missing.kind": Text(
            "没有“{kind}”这种台账类型。台账类型有：{kinds}。",
            "There is no kind of ledger entry called “{kind}”. The kinds are: {kinds}.",
        ),
        "stock.reference.demo": Text("演示数据", "Demo data"),
        "stock.take.sheet": Text("盘点表", "Count sheet"),
        "stock.take.sheet_intro": Text(
            "该仓库尚未盘点的商品及其账面数。填写实盘数量，留空的暂不计入；可分几次保存。",
            "The warehouse's products not counted yet, with their book. Fill in the units counted; those "
            "left empty are not counted yet. Save as often as you like.",
        ),
        "stock.take.sheet_save": Text("保存盘点数", "Save the counts"),
        "stock.take.add": Text("添加或更正一个商品的盘点数", "Add or correct one product's count"),
        "stock.take.large": Text("差异较大", "Large difference"),
        "stock.take.large_ask": Text(
            "以下差异较大（超过 {units} 件且超过账面的 {share}），请复核后再过账：",
            "These differences are large (more than {units} units and more than {share} of the book): "
            "check them before posting.",
        ),
        "stock.take.large_line": Text(
            "{sku}：盘点 {counted} 件，账面 {book} 件（差异 {difference:+d}）",
            "{sku}: {counted} counted against a book of {book} ({difference:+d})",
        ),
        "stock.take.cancel_ask": Text(
            "取消后，已录入的盘点数不会记入台账，盘点单不能再修改。确定取消盘点单 {no}？",
            "Cancelling writes none of the counts to the ledger, and the stock-take can no longer "
            "change. Cancel stock-take {no}?",
        ),
        "stock.take.cancel_confirm": Text("确定取消", "Yes, cancel it"),
        "stock.take.opened_by": Text("开单：{name}", "Opened by {name}"),
        "stock.take.closed_by.posted": Text("过账：{name}", "Posted by {name}"),
        "stock.take.closed_by.cancelled": Text("取消：{name}", "Cancelled by {name}"),
        # --- orderloom stock (cli/stock.py)
        "cli.stock.received": Text(
            "已入库：{sku} @ {warehouse} +{qty}，现有 {on_hand}（占用 {reserved}）",
            "received: {sku} at {warehouse} +{qty}, now {on_hand} on hand ({reserved} reserved)",
        ),
        "cli.stock.adjusted": Text(
            "已调整：{sku} @ {warehouse} {change:+d}，现有 {on_hand}（占用 {reserved}）",
            "adjusted: {sku} at {warehouse} {change:+d}, now {on_hand} on hand ({reserved} reserved)",
        ),
        "cli.stock.safety": Text(
            "安全库存：{sku} @ {warehouse} = {safety}", "safety stock: {sku} at {warehouse} = {safety}"
        ),
        "cli.stock.transfer": Text(
            "调拨单 T{id}：{sku} {qty} 件 {source} → {dest}，{state}，在途 {in_transit} 件",
            "transfer T{id}: {sku} × {qty} {source} → {dest}, {state}, {in_transit} in transit",
        ),
        "cli.stock.take": Text(
            "盘点单 C{id}（仓库 {warehouse}）：{state}", "stock-take C{id} (warehouse {warehouse}): {state}"
        ),
        "cli.stock.count_line": Text(
            "  {sku}：账面 {book}，盘点 {counted}，差异 {difference:+d}（占用 {reserved}）",
            "  {sku}: book {book}, counted {counted}, difference {difference:+d} ({reserved} reserved)",
        ),
        # after a count line whose difference is large (engine.runtime.stock.CountLine.large), as the
        # web sheet calls it out
        "cli.stock.large": Text(
            "  ← 差异较大（超过 {units} 件且超过账面的 {share}）",
            "  ← large difference (more than {units} units and {share} of the book)",
        ),
        "cli.stock.level": Text(
            "{sku}\t{warehouse}\t现有 {on_hand}\t占用 {reserved}\t可用 {available}\t安全库存 {safety}{low}",
            "{sku}\t{warehouse}\ton hand {on_hand}\treserved {reserved}\tfree {available}\t"
            "safety {safety}{low}",
        ),
        "cli.stock.entry": Text(
            "#{id}\t{at}\t{sku}\t{warehouse}\t{change:+d}\t{kind}\t{reference}\t{actor}\t{note}",
            "#{id}\t{at}\t{sku}\t{warehouse}\t{change:+d}\t{kind}\t{reference}\t{actor}\t{note}",
        ),
        "cli.stock.alert": Text(
            "{sku} @ {warehouse}：可用 {available} < 安全库存 {safety}；"
            "近30天发货 {shipped}，在途 {in_transit}，建议补货 {suggested}",
            "{sku} at {warehouse}: {available} free < safety stock {safety}; shipped in 30 days {shipped}, "
            "in transit {in_transit}; reorder {suggested}",
        ),
        "cli.stock.none": Text("（没有）", "(none)"),
        "cli.stock.more": Text(
            "……还有更多：加 {option} {value} 看下一页", "… more: add {option} {value} for the next page"
        ),
        "cli.stock.low": Text("  低于安全库存", "  LOW"),
        "cli.stock.not_a_number": Text(
            "{value!r} 不是编号（如 {prefix}12）", "{value!r} is not a number like {prefix}12"
        ),
        # --- the names of the codes the shipped departments use (GLOSSARY): term(kind, code, lang)
        "term.channel.web": Text("网站", "Web shop"),
        "term.channel.app": Text("移动应用", "App"),
        "term.channel.phone": Text("电话", "Phone"),
        "term.channel.email": Text("电子邮件", "Email"),
        # the outbox's topics (web/outbox_page.py): what each message is about, as the outbox page names it
        "term.topic.notifications.order_status": Text(
            "订单状态通知（给顾客）", "Order status notice (to the customer)"
        ),
        "term.topic.payments.captured": Text("收款待入账", "Payment captured, to book"),
        "term.topic.payments.refunded": Text("退款待支付", "Refund to pay back"),
        "term.topic.logistics.waybill_created": Text("运单已生成，待揽收", "Waybill created, to collect"),
        "term.topic.inventory.replenishment_suggested": Text("补货建议", "Replenishment suggestion"),
        "term.topic.stock.low": Text("库存预警（给采购）", "Low-stock alert (to the purchasers)"),
        "term.topic.approvals.task": Text("审批任务（给审批人）", "Approval task (to the approvers)"),
        "term.topic.approvals.timeout": Text("审批超时", "Approval timed out"),
        "term.topic.account_created": Text("新客户账户", "Customer account created"),
        "term.topic.payment_failed": Text("支付失败", "Payment failed"),
        "term.topic.stock_changed": Text("库存变动", "Stock changed"),
        "term.department.retail": Text("零售", "Retail"),
        "term.department.wholesale": Text("批发", "Wholesale"),
        "term.department.after_sales": Text("售后", "After-sales"),
        "term.role.admin": Text("管理员", "Admin"),
        "term.role.approver": Text("审批人", "Approver"),
        "term.role.clerk": Text("订单专员", "Clerk"),
        "term.role.credit_controller": Text("信用管理员", "Credit controller"),
        "term.role.director": Text("销售总监", "Sales director"),
        "term.role.finance": Text("财务", "Finance"),
        "term.role.inspector": Text("质检员", "Inspector"),
        "term.role.purchaser": Text("采购员", "Purchaser"),
        "term.role.reviewer": Text("审核员", "Reviewer"),
        "term.role.sales": Text("销售", "Salesperson"),
        "term.role.service": Text("客服", "Service desk"),
        "term.role.warehouse": Text("仓库", "Warehouse"),
        "term.reason.auto": Text("自动", "automatic"),
        "term.reason.approval": Text("审批通过后", "after the approval"),
        "term.reason.approval_declined": Text("审批人驳回", "declined by an approver"),
        "term.reason.approval_timeout": Text("审批超时", "approval timed out"),
        "term.reason.unpaid_timeout": Text("超时未支付自动取消", "cancelled: unpaid in time"),
        "term.reason.not_paid_in_full": Text(
            "7天内未付清自动取消", "cancelled: not paid in full within 7 days"
        ),
        "term.reason.auto_confirm_receipt": Text("自动确认收货", "receipt confirmed automatically"),
        "term.reason.goods_not_returned": Text(
            "超期未寄回自动撤销", "withdrawn: the goods were not sent back in time"
        ),
        # --- a submitted form's messages (engine/forms/messages.py): {label} the field, {limit} the
        # schema's bound, {expected} what the format wants, {options} the allowed values
        # Each English message starts with the field's label, the first letter made capital, and says
        # after a colon what is wrong or wanted: "Signed by: at most 50 characters" reads the same
        # whatever the label, where "The {label} must …" did not ("The signed by must …").
        "form.required": Text("请填写{label}", "{label}: enter a value"),
        "form.required_choice": Text("请选择{label}", "{label}: choose one"),
        "form.computed": Text(
            "{label}由{options}计算得出：请先填写这些字段",
            "{label}: computed from the {options}; fill those in first",
        ),
        "form.format": Text("{label}格式不正确：应为{expected}", "{label}: enter {expected}"),
        # a value written as a date whose day the calendar does not have: date.gone, after the label
        "form.date_gone": Text("{label}：{options}", "{label}: {options}"),
        "form.money_range": Text(
            "{label}超出范围：金额须小于 10,000,000,000,000 元（十万亿元）",
            "{label}: out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY",
        ),
        "form.pattern": Text("{label}格式不正确", "{label}: not in the expected format"),
        "form.type": Text("{label}应为{expected}", "{label}: must be {expected}"),
        "form.minimum": Text("{label}不能小于{limit}", "{label}: at least {limit}"),
        "form.maximum": Text("{label}不能大于{limit}", "{label}: at most {limit}"),
        "form.exclusiveMinimum": Text("{label}必须大于{limit}", "{label}: more than {limit}"),
        "form.exclusiveMaximum": Text("{label}必须小于{limit}", "{label}: less than {limit}"),
        "form.multipleOf": Text("{label}必须是{limit}的整数倍", "{label}: a multiple of {limit}"),
        "form.minLength": Text("{label}至少需要{limit}个字符", "{label}: at least {limit} characters"),
        "form.maxLength": Text("{label}最多{limit}个字符", "{label}: at most {limit} characters"),
        "form.minItems": Text("{label}至少需要{limit}项", "{label}: at least {limit} entries"),
        "form.minItems1": Text("请至少填写一项{label}", "{label}: add at least one entry"),
        "form.maxItems": Text("{label}最多{limit}项", "{label}: at most {limit} entries"),
        "form.uniqueItems": Text("{label}有重复项", "{label}: the same entry is listed twice"),
        "form.enum": Text("{label}只能选择：{options}", "{label}: choose one of {options}"),
        "form.const": Text("{label}只能是{options}", "{label}: must be {options}"),
        "form.const_true": Text("请勾选{label}", "{label}: tick this box"),
        "form.const_false": Text("请不要勾选{label}", "{label}: leave this box unticked"),
        "form.additionalProperties": Text(
            "{label}包含不接受的字段：{options}", "{label}: fields it does not take: {options}"
        ),
        "form.minProperties": Text("{label}不能为空", "{label}: must not be empty"),
        "form.absent": Text("此处不应填写{label}", "{label}: leave it empty here"),
        "form.invalid": Text("{label}填写不正确", "{label}: not valid"),
        # --- what a format wants, in a form's message (form.format's {expected})
        "format.mobile-cn": Text("11位手机号", "an 11-digit mobile number starting with 1"),
        "format.resident-id-cn": Text(
            "18位身份证号（出生日期与校验位正确）", "an 18-character resident ID number"
        ),
        "format.postcode-cn": Text("6位邮政编码", "a 6-digit postcode"),
        "format.email": Text("电子邮箱地址，如 name@example.com", "an email address like name@example.com"),
        "format.money": Text("金额，最多两位小数", "an amount with at most two decimals"),
        "format.money_typed": Text(
            "金额，用数字和小数点书写，最多两位小数，如 1000 或 99.50（不接受 1e3 这类写法）",
            "an amount in digits with at most two decimals, like 1000 or 99.50 (not 1e3 or the like)",
        ),
        "date.gone": Text("{day} 不是存在的日期", "{day} is not a real date"),
        "format.date": Text("日期，如 2026-01-31", "a date like 2026-01-31"),
        "format.date-time": Text(
            "日期和时间，如 2026-01-31T09:30:00+08:00", "a date and time like 2026-01-31T09:30:00+08:00"
        ),
        "format.time": Text("时间，如 09:30:00+08:00", "a time like 09:30:00+08:00"),
        # --- what a date-time or time field wants when the page draws it as a picker (datetime-local,
        # time): what the person picks or types there, China time without an offset
        "picker.date-time": Text("日期和时间，如 2026-01-31 09:30", "a date and time like 2026-01-31 09:30"),
        "picker.time": Text("时间，如 09:30", "a time like 09:30"),
        "format.uri": Text("网址", "a web address"),
        # --- what a JSON type is, in a form's message (form.type's {expected})
        "type.string": Text("文本", "text"),
        "type.number": Text("数字", "a number"),
        "type.integer": Text("整数", "a whole number"),
        "type.boolean": Text("是或否", "yes or no"),
        "type.array": Text("列表", "a list"),
        "type.object": Text("一组字段", "a group of fields"),
        "type.null": Text("空", "empty"),
        "value.yes": Text("是", "yes"),
        "value.no": Text("否", "no"),
        "field.the_form": Text("表单", "form"),
        # --- the order's own fields, beside its data in every condition (spec.ORDER_FIELDS)
        "order_field.id": Text("订单号", "the order's number"),
        "order_field.state": Text("订单状态", "the order's state"),
        "order_field.department": Text("订单所属部门", "the order's department"),
        "order_field.channel": Text("订单来源渠道", "the channel the order came from"),
        "order_field.workflow": Text("订单所属流程", "the order's workflow"),
        # --- words of the definition checks (engine/dsl): what a key of a workflow file must be
        # what the JSON reader expected where it stopped
        "definition.json.expected_list_end": Text("应为 ',' 或 ']'", "expected ',' or ']'"),
        "definition.json.expected_object_end": Text("应为 ',' 或 '}}'", "expected ',' or '}}'"),
        "definition.json.expected_value": Text("应为一个值", "expected a value"),
        "definition.json.expected_key": Text("应为用双引号括起的键", "expected a key in double quotes"),
        "definition.json.expected_colon": Text("键的后面应为 ':'", "expected ':' after the key"),
        # PyYAML's syntax errors in words people read (engine/dsl/yaml_words.py): its token names ...
        "definition.yaml.token.stream_start": Text("文件开头", "the start of the file"),
        "definition.yaml.token.stream_end": Text("文件结尾", "the end of the file"),
        "definition.yaml.token.document_start": Text("文档开头（---）", "the start of a document (---)"),
        "definition.yaml.token.document_end": Text("文档结束标记（...）", "the end-of-document marker (...)"),
        "definition.yaml.token.directive": Text("指令（%YAML 或 %TAG）", "a directive (%YAML or %TAG)"),
        "definition.yaml.token.block_sequence_start": Text("列表项（- ...）", "a list item (- ...)"),
        "definition.yaml.token.block_mapping_start": Text("键（键: 值）", "a key (key: value)"),
        "definition.yaml.token.block_end": Text("缩进块的结尾", "the end of the indented block"),
        "definition.yaml.token.alias": Text("别名（*name）", "an alias (*name)"),
        "definition.yaml.token.anchor": Text("锚点（&name）", "an anchor (&name)"),
        "definition.yaml.token.tag": Text("标签（!name）", "a tag (!name)"),
        "definition.yaml.token.scalar": Text("一个值", "a value"),
        # ... what else it says it expected or found ...
        "definition.yaml.part.value": Text("一个值", "a value"),
        "definition.yaml.part.comment_or_line_break": Text("注释或换行", "a comment or a line break"),
        "definition.yaml.part.letter_or_digit": Text("字母或数字", "a letter or a digit"),
        "definition.yaml.part.indentation": Text("1 到 9 的缩进数字", "an indentation number from 1 to 9"),
        "definition.yaml.part.chomping": Text("'+'、'-' 或缩进数字", "'+', '-' or an indentation number"),
        "definition.yaml.part.digit": Text("数字", "a digit"),
        "definition.yaml.part.digit_or_dot": Text("数字或 '.'", "a digit or '.'"),
        "definition.yaml.part.digit_or_space": Text("数字或空格", "a digit or a space"),
        "definition.yaml.part.space": Text("空格", "a space"),
        "definition.yaml.part.uri": Text("地址（URI）", "an address (URI)"),
        "definition.yaml.part.line_break": Text("换行", "a line break"),
        "definition.yaml.part.tab": Text("制表符", "a tab"),
        "definition.yaml.part.end_of_file": Text("文件结尾", "the end of the file"),
        # ... what it was reading ...
        "definition.yaml.thing.block_mapping": Text("缩进的键值块", "an indented block of keys"),
        "definition.yaml.thing.flow_mapping": Text("花括号 {{...}} 中的键值", "the keys in braces {{...}}"),
        "definition.yaml.thing.flow_sequence": Text("方括号 [...] 中的列表", "the list in brackets [...]"),
        "definition.yaml.thing.block_collection": Text(
            "缩进的列表或键值块", "an indented list or block of keys"
        ),
        "definition.yaml.thing.simple_key": Text("键", "a key"),
        "definition.yaml.thing.quoted": Text("带引号的文本", "a quoted text"),
        "definition.yaml.thing.double_quoted": Text("双引号文本", "a double-quoted text"),
        "definition.yaml.thing.single_quoted": Text("单引号文本", "a single-quoted text"),
        "definition.yaml.thing.plain": Text("文本", "a text"),
        "definition.yaml.thing.block_scalar": Text("多行文本（| 或 >）", "a multi-line text (| or >)"),
        "definition.yaml.thing.mapping": Text("键值", "the keys"),
        "definition.yaml.thing.directive": Text("指令（%YAML 或 %TAG）", "a directive (%YAML or %TAG)"),
        "definition.yaml.thing.tag": Text("标签（!name）", "a tag (!name)"),
        "definition.yaml.thing.anchor": Text("锚点（&name）", "an anchor (&name)"),
        "definition.yaml.thing.alias": Text("别名（*name）", "an alias (*name)"),
        # ... and its whole phrases and their shapes
        "definition.yaml.mapping_values": Text(
            "此处不能再写“键: 值”（检查冒号和缩进）",
            "a value (key: value) is not allowed here; check the colons and indentation",
        ),
        "definition.yaml.mapping_keys": Text("此处不允许出现键（'?'）", "a key ('?') is not allowed here"),
        "definition.yaml.sequence_entries": Text(
            "此处不允许出现列表项（'-'）", "a list item ('-') is not allowed here"
        ),
        "definition.yaml.no_colon": Text("找不到键后面应有的 ':'", "the ':' after the key is missing"),
        "definition.yaml.end_of_stream": Text("文件意外结束", "the file ends before it is closed"),
        "definition.yaml.document_separator": Text(
            "其中出现了文档分隔符（--- 或 ...）", "a document separator (--- or ...) appears inside it"
        ),
        "definition.yaml.duplicate_directive": Text("%YAML 指令重复", "the %YAML directive appears twice"),
        "definition.yaml.incompatible": Text(
            "YAML 版本不兼容（须为 1.x）", "an incompatible YAML version (1.x is required)"
        ),
        "definition.yaml.duplicate_key": Text("出现重复的键", "a key appears twice"),
        "definition.yaml.single_document": Text(
            "文件中只能有一个文档", "the file may hold one document only"
        ),
        "definition.yaml.another_document": Text("这里又开始了另一个文档", "another document starts here"),
        "definition.yaml.expected": Text("应为{wanted}，却遇到了{got}", "expected {wanted}, but found {got}"),
        "definition.yaml.while": Text("读取{thing}时", "while reading {thing}"),
        "definition.yaml.tab": Text(
            "这里不能出现制表符（YAML 的缩进只能用空格）",
            "a tab cannot stand here (YAML indents with spaces, never tabs)",
        ),
        "definition.yaml.character": Text(
            "字符 {character} 不能出现在这里", "the character {character} cannot stand here"
        ),
        "definition.yaml.escape": Text("未知的转义字符 {character}", "unknown escape character {character}"),
        "definition.yaml.tag_handle": Text(
            "标签前缀 {handle} 未定义或重复", "the tag prefix {handle} is undefined or defined twice"
        ),
        "definition.yaml.syntax": Text("YAML 语法错误", "YAML syntax error"),
        "definition.yaml.syntax_one": Text("YAML 语法错误：{problem}", "YAML syntax error: {problem}"),
        "definition.yaml.syntax_two": Text(
            "YAML 语法错误：{problem}（{context}）", "YAML syntax error: {problem} ({context})"
        ),
        "definition.type.boolean": Text("true 或 false", "true or false"),
        "definition.type.string": Text("文本", "text"),
        "definition.type.array": Text("列表", "a list"),
        "definition.type.object": Text("映射（键: 值）", "a mapping (key: value)"),
        "definition.type.integer": Text("整数", "a whole number"),
        "definition.type.number": Text("数字", "a number"),
        "definition.type.null": Text("空", "empty"),
        "definition.pattern.duration": Text("时长，如 30m、2h 或 7d", "a duration like 30m, 2h or 7d"),
        "definition.pattern.name": Text(
            "由小写字母、数字和 '_' 组成并以字母开头的名称",
            "a name of lower-case letters, digits and '_', starting with a letter",
        ),
        "definition.pattern.workflowName": Text(
            "由小写字母、数字、'-' 和 '_' 组成并以字母开头的名称",
            "a name of lower-case letters, digits, '-' and '_', starting with a letter",
        ),
        "definition.pattern.statePath": Text(
            "状态名（并行区域中的状态写作 state.region.child）",
            "a state name (or state.region.child for a state inside a parallel region)",
        ),
        "definition.pattern.formPath": Text(
            "相对于定义根目录的 .json 文件路径，如 forms/retail/payment.json",
            "a path to a .json file relative to the definitions root, e.g. forms/retail/payment.json",
        ),
        "definition.pattern.rulesPath": Text(
            "相对于定义根目录的 .yaml 文件路径，如 rules/retail/audit.yaml",
            "a path to a .yaml file relative to the definitions root, e.g. rules/retail/audit.yaml",
        ),
        "definition.noun.transition": Text("流转", "transition"),
        "definition.noun.state": Text("状态", "state"),
        "definition.noun.regionState": Text("状态", "state"),
        "definition.noun.region": Text("并行区域", "parallel region"),
        "definition.noun.timer": Text("定时器", "timer"),
        "definition.noun.text": Text("文本（zh/en）", "text (zh/en)"),
        "definition.noun.workflow": Text("工作流", "workflow"),
        "definition.noun.overlay": Text("覆盖定义", "overlay"),
        "definition.noun.transitionRef": Text("要移除的流转", "transition to remove"),
        "definition.any_of.source": Text("一个状态、状态列表或 '*'", "a state, a list of states, or '*'"),
        "definition.any_of.dest": Text(
            "一个状态，或从规则结果到状态的映射", "a state, or a map from rule outcome to state"
        ),
        "definition.any_of.when": Text("一个条件或条件列表", "a condition, or a list of conditions"),
        # --- the words a workflow's diagram writes beside the names and labels (engine/dsl/diagram.py)
        "diagram.unknown_state": Text("{name}（未定义的状态）", "{name} (no such state)"),
        "diagram.base_state": Text("{name}（基础流程）", "{name} (base)"),
        "diagram.after": Text("{after} 后", "after {after}"),
        "diagram.auto": Text("自动", "automatic"),
        "diagram.and": Text(" 且 ", " and "),
        "diagram.or": Text(" 或 ", " or "),
        "diagram.not": Text("非 {what}", "not {what}"),
        "diagram.in": Text("属于", "in"),
        "diagram.not_in": Text("不属于", "not in"),
        "diagram.is": Text("是", "is"),
        "diagram.is_not": Text("不是", "is not"),
        "diagram.timer_alone": Text(
            "{after} 后触发 {trigger}（此状态没有该流转）",
            "after {after}: {trigger} (no such transition here)",
        ),
        "diagram.timer": Text("{after} 后触发 {trigger}", "after {after}: {trigger}"),
        # a timer at a moment the order holds (at: order.return_by)
        "diagram.at": Text("于 {at}", "at {at}"),
        "diagram.timer_at_alone": Text(
            "于 {at} 触发 {trigger}（此状态没有该流转）",
            "at {at}: {trigger} (no such transition here)",
        ),
        "diagram.timer_at": Text("于 {at} 触发 {trigger}", "at {at}: {trigger}"),
        "diagram.orders": Text("{n} 个订单", "{n} order(s)"),
        # --- the changes between two versions (engine/dsl/diff.py): Change.kind, the parts of Changes,
        # and Change.what (a rule file's lists by their key: RuleKind.named)
        "diff.kind.added": Text("新增", "added"),
        "diff.kind.removed": Text("删除", "removed"),
        "diff.kind.changed": Text("修改", "changed"),
        "diff.part.workflow": Text("流程设置", "Workflow settings"),
        "diff.part.states": Text("状态", "States"),
        "diff.part.transitions": Text("流转", "Transitions"),
        "diff.part.rules": Text("规则", "Rules"),
        "diff.part.forms": Text("表单", "Forms"),
        "diff.part.records": Text("子记录", "Record kinds"),
        "diff.what.setting": Text("设置", "setting"),
        "diff.what.state": Text("状态", "state"),
        "diff.what.transition": Text("流转", "transition"),
        "diff.what.rule_file": Text("规则文件", "rule file"),
        "diff.what.rules": Text("规则", "rule"),
        "diff.what.inputs": Text("输入列", "input"),
        "diff.what.warehouses": Text("仓库", "warehouse"),
        "diff.what.carriers": Text("承运商", "carrier"),
        "diff.what.patterns": Text("关联模式", "pattern"),
        "diff.what.form": Text("表单", "form"),
        "diff.what.field": Text("字段", "field"),
        "diff.what.layout": Text("表单布局", "form layout"),
        "diff.what.record_kind": Text("记录类型", "record kind"),
        "diff.what.record_state": Text("记录状态", "record state"),
        "diff.what.record_transition": Text("记录流转", "record transition"),
        # --- a change of a state or a transition worded for a person (engine/dsl/diff.py, _Wording)
        "diff.say.transition": Text("{trigger}：从 {sources}", "{trigger}: from {sources}"),
        "diff.say.any_state": Text("任意状态", "any state"),
        "diff.say.aspect": Text("{key}：{value}", "{key}: {value}"),
        "diff.say.timer": Text("{after}后 {trigger}", "after {after}: {trigger}"),
        "diff.say.timer_in": Text("在 {state} {after}后", "after {after} in {state}"),
        "diff.say.timer_at": Text("于 {after} {trigger}", "at {after}: {trigger}"),
        "diff.say.timer_at_in": Text("在 {state} 于 {after}", "at {after} in {state}"),
        "diff.say.reason": Text("（{reason}）", " ({reason})"),
        "diff.say.when": Text("，条件 {condition}", ", when {condition}"),
        "diff.say.outcome": Text("{outcome} → {state}", "{outcome} → {state}"),
        "diff.say.region": Text("{region}：从 {state} 开始", "{region}: starts at {state}"),
        "diff.say.yes": Text("是", "yes"),
        "diff.say.no": Text("否", "no"),
        "diff.unit.s": Text("{n} 秒", "{n} seconds"),
        "diff.unit.s.one": Text("{n} 秒", "{n} second"),
        "diff.unit.m": Text("{n} 分钟", "{n} minutes"),
        "diff.unit.m.one": Text("{n} 分钟", "{n} minute"),
        "diff.unit.h": Text("{n} 小时", "{n} hours"),
        "diff.unit.h.one": Text("{n} 小时", "{n} hour"),
        "diff.unit.d": Text("{n} 天", "{n} days"),
        "diff.unit.d.one": Text("{n} 天", "{n} day"),
        "diff.aspect.label": Text("名称", "Label"),
        "diff.aspect.final": Text("终止状态", "Final"),
        "diff.aspect.queue": Text("队列", "Queue"),
        "diff.aspect.timers": Text("计时器", "Timers"),
        "diff.aspect.regions": Text("并行区域", "Regions"),
        "diff.aspect.description": Text("说明", "Description"),
        "diff.aspect.dest": Text("去往", "To"),
        "diff.aspect.when": Text("条件", "Condition"),
        "diff.aspect.rules": Text("规则文件", "Rule file"),
        "diff.aspect.roles": Text("角色", "Roles"),
        "diff.aspect.form": Text("表单", "Form"),
        "diff.aspect.actions": Text("动作", "Actions"),
        "diff.aspect.set": Text("设置的字段", "Fields set"),
        "diff.aspect.auto": Text("自动", "Automatic"),
        "diff.aspect.interrupts": Text("中断", "Interrupts"),
        "diff.aspect.refusal": Text("拒绝说明", "Refusal"),
        "diff.aspect.shows": Text("页面显示", "Shows"),
        "diff.aspect.approval": Text("审批", "Approval"),
        "diff.aspect.initial": Text("初始状态", "Initial state"),
        "diff.aspect.when_label": Text("条件说明", "Condition's label"),
        # --- a rule set's outcomes (the glossary's words)
        "term.outcome.approve": Text("自动审核通过", "approved automatically"),
        "term.outcome.hold": Text("挂起待审", "on hold"),
        "term.outcome.reject": Text("驳回", "rejected"),
        "term.outcome.manager": Text("经理审批", "manager approves"),
        "term.outcome.director": Text("总监审批", "director approves"),
        "term.outcome.discount": Text("给予折扣", "discount"),
        "term.outcome.none": Text("不给折扣", "no discount"),
        "term.outcome.routed": Text("已分仓", "routed"),
        "term.outcome.split": Text("拆单发货", "split shipment"),
        "term.outcome.no_stock": Text("缺货", "out of stock"),
        "term.outcome.no_carrier": Text("无承运商", "no carrier"),
        # --- the rule console's routing answer (web/templates/studio/console.html)
        "studio.console.routing": Text("分仓结果", "Routing"),
        "studio.console.side": Text("类型", "Kind"),
        "studio.console.side.warehouse": Text("仓库", "warehouse"),
        "studio.console.side.carrier": Text("承运商", "carrier"),
        "studio.console.candidate_name": Text("名称", "Name"),
        "studio.console.candidate_score": Text("得分", "Score"),
        "studio.console.chosen": Text("已选", "chosen"),
        "studio.console.split": Text("拆单", "Split shipment"),
        "studio.console.split_lines": Text("商品（SKU × 数量）", "Lines (SKU × quantity)"),
        # --- words of the rule-file checks (engine/rules/facts.py): what a field of the data holds
        "rules.kind.string": Text("文本", "text"),
        "rules.kind.number": Text("数字", "a number"),
        "rules.kind.boolean": Text("true/false", "true/false"),
        "rules.kind.array": Text("列表", "a list"),
        "rules.kind.object": Text("记录", "a record"),
        "rules.kind.null": Text("空", "empty"),
        # the kinds of values only an expression computes (engine/rules/expr.py): never a form's
        "expr.kind.datetime": Text("日期时间", "a date-time"),
        "expr.kind.duration": Text("时长", "a duration"),
        # --- words of the UI-file checks (engine/forms/ui.py): the data types a widget takes
        "ui.type.string": Text("文本", "text"),
        "ui.type.number": Text("数字", "a number"),
        "ui.type.boolean": Text("true/false", "true/false"),
        "ui.type.array": Text("列表", "a list"),
        "ui.type.object": Text("对象", "an object"),
    }
)


def word(key: str) -> Text:
    """The entry ``key`` (a KeyError for a key the catalogue does not have: a bug, not a user's input)."""
    return WORDS[key]


@functools.cache
def words_of(prefix: str) -> Mapping[str, Text]:
    """The entries under ``prefix``, by the rest of their key: ``words_of("format")["money"]``."""
    start = f"{prefix}."
    return MappingProxyType({key[len(start) :]: text for key, text in WORDS.items() if key.startswith(start)})


def translate(key: str, lang: str) -> str:
    """The entry ``key`` in ``lang`` (a page's word); a key the catalogue does not have is shown as is."""
    text = WORDS.get(key)
    return key if text is None else text.get(lang)


def known_term(kind: str, code: str) -> Text | None:
    """The name of a code in both languages; None for a code the catalogue does not name."""
    return WORDS.get(f"term.{kind}.{code}")


def term(kind: str, code: str, lang: str) -> str:
    """The name of a code (a channel, a department, a step's reason) in ``lang``; unknown codes as is."""
    text = WORDS.get(f"term.{kind}.{code}")
    return code if text is None else text.get(lang)
