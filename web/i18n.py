"""The one catalogue of words shown to clerks and admins, in zh-CN and en."""

from __future__ import annotations

from flask import request

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"zh": "OrderLoom 订单流程引擎", "en": "OrderLoom order-process engine"},
    "home.heading": {"zh": "部门与流程", "en": "Departments and workflows"},
    "home.department": {"zh": "部门", "en": "Department"},
    "home.workflow": {"zh": "工作流", "en": "Workflow"},
    "home.version": {"zh": "版本", "en": "Version"},
    "home.orders": {"zh": "订单数", "en": "Orders"},
    "home.by_state": {"zh": "按状态", "en": "By state"},
    "home.empty": {
        "zh": "还没有发布任何工作流。运行 orderloom demo 载入演示数据。",
        "en": "No workflow is published yet. Run `orderloom demo` to load the demo data.",
    },
    "lang.switch": {"zh": "English", "en": "中文"},
    "auth.login": {"zh": "登录", "en": "Log in"},
    "auth.name": {"zh": "用户名", "en": "User name"},
    "auth.password": {"zh": "密码", "en": "Password"},
    "auth.submit": {"zh": "登录", "en": "Log in"},
    "auth.logout": {"zh": "退出登录", "en": "Log out"},
    "auth.failed": {
        "zh": "用户名或密码不正确，请重新输入。",
        "en": "The user name or the password is wrong. Try again.",
    },
    "auth.throttled": {
        "zh": "登录失败次数过多，已暂时停止登录。请约 {minutes} 分钟后再试。",
        "en": "Too many failed logins: logging in is paused. Try again in about {minutes} minute(s).",
    },
    "auth.busy": {
        "zh": "服务器正在核对其他登录，您的密码未被核对。请几秒后再试。",
        "en": "The server is busy checking other logins and did not check your password. Try again in a "
        "few seconds.",
    },
    "orders.new": {"zh": "新建订单", "en": "New order"},
    "orders.list": {"zh": "订单列表", "en": "Orders"},
    "orders.go": {"zh": "打开订单号", "en": "Open order number"},
    "orders.open": {"zh": "打开", "en": "Open"},
    "orders.go_not_a_number": {
        "zh": "「{typed}」不是订单号：订单号是数字，如 294",
        "en": "“{typed}” is not an order number: order numbers are digits, such as 294",
    },
    "orders.filtered": {"zh": "筛选", "en": "Showing"},
    "orders.all": {"zh": "全部订单", "en": "all orders"},
    "orders.none_listed": {"zh": "没有符合条件的订单。", "en": "No order matches."},
    "orders.number": {"zh": "订单号", "en": "Order"},
    "orders.state": {"zh": "状态", "en": "State"},
    "orders.channel": {"zh": "渠道", "en": "Channel"},
    "orders.updated": {"zh": "更新时间", "en": "Updated"},
    "orders.total": {"zh": "订单金额（元）", "en": "Total (CNY)"},
    "orders.newer": {"zh": "较新的订单", "en": "Newer orders"},
    "orders.older": {"zh": "较早的订单", "en": "Older orders"},
    "outbox.newer": {"zh": "较新的消息", "en": "Newer messages"},
    "outbox.older": {"zh": "较早的消息", "en": "Older messages"},
    "orders.create": {"zh": "创建订单", "en": "Create the order"},
    "orders.created": {"zh": "创建订单", "en": "Order created"},
    "orders.order": {"zh": "订单 #{id}", "en": "Order #{id}"},
    "orders.actions": {"zh": "可执行的操作", "en": "What you can do now"},
    "orders.no_actions": {
        "zh": "当前没有您可执行的操作。",
        "en": "There is nothing for you to do on it now.",
    },
    "orders.data": {"zh": "订单信息", "en": "Order details"},
    "orders.timeline": {"zh": "处理记录", "en": "Timeline"},
    "orders.yes": {"zh": "是", "en": "yes"},
    "orders.none": {"zh": "无", "en": "none"},
    "orders.no": {"zh": "否", "en": "no"},
    "orders.confirm": {
        "zh": "确认对此订单执行“{action}”？当前状态：{state}。",
        "en": "Do “{action}” on this order? It is now: {state}.",
    },
    "orders.conflict": {
        "zh": "提交未成功：在您填写期间，此订单已被他人更新。请先查看订单的最新状态，再决定是否重新提交。",
        "en": "Not submitted: someone else changed this order while you were filling in the form. "
        "Look at the order as it is now before you submit again.",
    },
    "orders.same_again.title": {"zh": "这张订单刚刚已经创建", "en": "This order was created a moment ago"},
    "orders.same_again": {
        "zh": "{when}已用完全相同的内容创建了订单 {order}，这次没有再创建"
        "（多半是返回上一页后又提交了一次）。如确需再建一张同样的订单，请点「仍然新建一单」。",
        "en": "Order {order} was created with exactly these details {when}, so no new order was "
        "made (most likely the page was sent again after going back). To create another order like it, "
        "press “Create another order anyway”.",
    },
    "orders.same_again.now": {"zh": "刚才", "en": "just now"},
    "orders.same_again.minutes": {"zh": "{n} 分钟前", "en": "{n} min ago"},
    "orders.same_again.button": {"zh": "仍然新建一单", "en": "Create another order anyway"},
    "orders.submitted_before": {
        "zh": "此页面已经提交过，订单已创建；内容改动后未再次创建。如确需另建一张订单，请再次提交。",
        "en": "This page was submitted before and its order created; the changed form was not sent "
        "again. Submit once more to create another order.",
    },
    "orders.no_lock_version.title": {"zh": "无法提交此操作", "en": "The step was not taken"},
    "orders.no_lock_version": {
        "zh": "提交的内容缺少订单版本（_lock_version），无法确认订单在您打开页面后未被他人更改，"
        "未做任何更改。请重新打开订单页面，再执行此操作。",
        "en": "What was sent lacks the order's version (_lock_version), so a change made by someone else "
        "since the page was opened could not be ruled out; nothing was changed. Open the order's page "
        "again and take the step from there.",
    },
    "orders.may_not_create.title": {"zh": "无权创建此类订单", "en": "Not allowed to create these orders"},
    "orders.may_not_create": {
        "zh": "创建此类订单需要以下角色之一：{roles}。您的账号没有这些角色。",
        "en": "Creating these orders takes one of these roles: {roles}. Your login has none of them.",
    },
    "orders.bad_lock_version.title": {"zh": "无法提交此操作", "en": "The step was not taken"},
    "orders.bad_lock_version": {
        "zh": "提交的订单版本（_lock_version）“{sent}”不是有效的版本号，"
        "无法确认订单在您打开页面后未被他人更改，未做任何更改。请重新打开订单页面，再执行此操作。",
        "en": "The order's version that was sent (_lock_version) “{sent}” is not a version, so a change "
        "made by someone else since the page was opened could not be ruled out; nothing was changed. "
        "Open the order's page again and take the step from there.",
    },
    "orders.reload": {"zh": "查看订单的最新状态", "en": "See the order as it is now"},
    "orders.not_now.title": {"zh": "此操作现在不可用", "en": "Not available now"},
    "orders.not_now": {
        "zh": "订单现在是“{state}”，不能执行“{action}”。它可能已经办理过，或已被他人处理。",
        "en": "The order is now “{state}”: “{action}” cannot be done on it. It may have been done "
        "already, or by someone else.",
    },
    "outbox.title": {"zh": "发件箱", "en": "Outbox"},
    "outbox.heading": {"zh": "发件箱：待发送、已发送与死信", "en": "Outbox: waiting, sent and dead letters"},
    "outbox.intro": {
        "zh": "订单流程要发往外部的消息（通知客户、收款、退款、运单、补货建议）由后台进程投递。"
        "投递失败的消息会逐次延后重试；多次失败或无法投递的成为死信，修正原因（如收件人、邮件服务器）后可重新发送。",
        "en": "Messages the order processes send outside (customer notifications, payments, refunds, "
        "waybills, replenishment suggestions) are delivered by the worker. A failed one is tried again, "
        "later each time; one that failed too often, or cannot be delivered, becomes a dead letter: fix "
        "the cause (a recipient, the mail server) and send it again.",
    },
    "outbox.dead_count": {"zh": "{n} 封死信待处理", "en": "{n} dead letter(s) to look at"},
    "outbox.status.dead": {"zh": "死信", "en": "Dead letters"},
    "outbox.status.pending": {"zh": "待发送", "en": "Waiting"},
    "outbox.status.sent": {"zh": "已发送", "en": "Sent"},
    "outbox.status.internal": {"zh": "内部事件", "en": "Internal events"},
    "outbox.state.dead": {"zh": "死信（已停止重试）", "en": "Dead letter (no more attempts)"},
    "outbox.state.pending": {"zh": "待发送", "en": "Waiting to be delivered"},
    "outbox.state.sent": {"zh": "已发送", "en": "Sent"},
    "outbox.state.internal": {
        "zh": "内部事件（供事件关联规则读取，不对外投递）",
        "en": "Internal event (read by the correlation rules, never delivered)",
    },
    "outbox.when.dead": {"zh": "成为死信于", "en": "Dead since"},
    "outbox.when.pending": {"zh": "下次尝试", "en": "Next attempt"},
    "outbox.when.sent": {"zh": "发送于", "en": "Sent"},
    "outbox.when.internal": {"zh": "写入于", "en": "Written"},
    "outbox.message": {"zh": "消息 #{id}", "en": "Message #{id}"},
    "outbox.topic": {"zh": "主题", "en": "Topic"},
    "outbox.department": {"zh": "部门", "en": "Department"},
    "outbox.order": {"zh": "订单", "en": "Order"},
    "outbox.attempts": {"zh": "尝试次数", "en": "Attempts"},
    "outbox.error": {"zh": "最近一次错误", "en": "Last error"},
    "outbox.state": {"zh": "状态", "en": "Status"},
    "outbox.created": {"zh": "写入时间", "en": "Written"},
    "outbox.last_attempt": {"zh": "最近一次尝试", "en": "Last attempt"},
    "outbox.replayed_by": {"zh": "重新发送人", "en": "Sent again by"},
    "outbox.payload": {"zh": "消息内容", "en": "Payload"},
    "outbox.unreadable": {"zh": "无法读取", "en": "unreadable"},
    "outbox.none": {"zh": "这里没有消息。", "en": "No message here."},
    "outbox.all_topics": {"zh": "全部主题", "en": "all topics"},
    "outbox.replay": {"zh": "重新发送", "en": "Send again"},
    "outbox.replay_now": {"zh": "立即重试", "en": "Try now"},
    "outbox.replay_all": {"zh": "重新发送以下全部死信", "en": "Send all these dead letters again"},
    "outbox.replayed": {
        "zh": "已重新排队：后台进程将在下一轮投递。",
        "en": "Queued again: the worker delivers it at its next round.",
    },
    "outbox.replayed_many": {
        "zh": "已将 {n} 封死信重新排队：后台进程将在下一轮投递。",
        "en": "{n} dead letter(s) queued again: the worker delivers them at its next round.",
    },
    "outbox.back": {"zh": "返回发件箱", "en": "Back to the outbox"},
    "outbox.refused.title": {"zh": "无法执行", "en": "Not possible"},
    "outbox.forbidden.title": {"zh": "无权查看", "en": "Not allowed"},
    "outbox.not_found.title": {"zh": "找不到这条消息", "en": "Message not found"},
    "errors.400.title": {"zh": "请求无法处理", "en": "Bad request"},
    "errors.400": {"zh": "这个请求不完整或格式不对。", "en": "The request was incomplete or malformed."},
    "errors.csrf.title": {"zh": "页面已过期", "en": "This page has expired"},
    "errors.csrf": {
        "zh": "此页面打开太久或已在别处提交，未做任何更改。请返回、刷新页面后再提交。",
        "en": "This page was open too long or was sent from elsewhere; nothing was changed. Go back, "
        "reload the page and send it again.",
    },
    "errors.401.title": {"zh": "请先登录", "en": "Log in first"},
    "errors.401": {
        "zh": "您的登录已失效或尚未登录，未做任何更改。请刷新页面并登录。",
        "en": "You are not logged in (or your login has expired); nothing was changed. Reload the page "
        "and log in.",
    },
    "errors.404.title": {"zh": "找不到此页面", "en": "Not found"},
    "errors.404": {"zh": "没有这个地址。", "en": "There is nothing at this address."},
    "errors.405.title": {"zh": "不支持此操作", "en": "Not allowed here"},
    "errors.405": {
        "zh": "此地址不接受这种请求（例如直接打开了只能提交的地址）。",
        "en": "This address does not take this kind of request (an address that only takes a form "
        "was opened directly, say).",
    },
    "errors.413.title": {"zh": "提交的内容过大", "en": "Too large"},
    "errors.413": {
        "zh": "提交的内容超过了 {limit} 的上限，未做任何更改。",
        "en": "What was sent is over the {limit} limit; nothing was changed.",
    },
    "errors.500.title": {"zh": "服务器出错", "en": "Server error"},
    "errors.500": {
        "zh": "处理请求时出错，未做任何更改。请稍后再试；如果问题持续，请联系管理员。",
        "en": "Something went wrong handling the request; nothing was changed. Try again later, and "
        "tell your administrator if it goes on.",
    },
    "orders.unreadable.title": {"zh": "无法读取此订单", "en": "This order cannot be read"},
    "orders.unreadable": {
        "zh": "此订单的存储格式不是本版本 OrderLoom 能读取的；没有做任何更改。请告诉管理员：",
        "en": "This order is stored in a shape this version of OrderLoom cannot read; nothing was changed. "
        "Tell your administrator:",
    },
    "orders.not_found.title": {"zh": "找不到此页面", "en": "Not found"},
    "orders.not_found": {
        "zh": "没有这个订单、流程或渠道，或者它不属于您所在的部门。",
        "en": "There is no such order, workflow or channel, or it is not in your departments.",
    },
    "forms.preview": {"zh": "表单预览", "en": "Form preview"},
    "forms.preview_file": {
        "zh": "表单预览（静态文件：不能提交，计算字段按所给数据计算）",
        "en": "Form preview (a static file: it does not submit; computed fields are computed from "
        "the data given)",
    },
    "forms.required_note": {"zh": "为必填项", "en": "marks a required field"},
    "forms.choose": {"zh": "请选择", "en": "Choose…"},
    "forms.submit": {"zh": "提交", "en": "Submit"},
    "forms.row": {"zh": "第{n}行", "en": "line {n}"},
    "forms.row_actions": {"zh": "操作", "en": "Actions"},
    "forms.add_row": {"zh": "＋ 添加一行", "en": "+ Add a line"},
    "forms.remove": {"zh": "删除", "en": "Remove"},
    "forms.remove_row": {"zh": "删除第{n}行", "en": "Remove line {n}"},
    "forms.rows_limits": {
        "zh": "共{n}行（{low}–{high}行）",
        "en": "{n} line(s) ({low} to {high})",
    },
    "forms.rows_count": {"zh": "共{n}行", "en": "{n} line(s)"},
    "forms.not_submitted": {"zh": "提交未成功", "en": "The form was not submitted"},
    "forms.errors_heading": {
        "zh": "提交未成功：请修正以下{n}处问题",
        "en": "The form was not submitted: correct the {n} problem(s) below",
    },
    "forms.valid": {"zh": "校验通过", "en": "The form is valid"},
    "forms.valid_note": {
        "zh": "以下是引擎将收到的数据（已去掉隐藏分组的字段，并算好计算字段）：",
        "en": "This is the data the engine would receive (hidden groups' fields dropped, computed "
        "fields filled):",
    },
    "forms.again": {"zh": "再填一份", "en": "Fill in another"},
    "forms.home": {"zh": "返回首页", "en": "Back to the home page"},
    "forms.not_found.title": {"zh": "找不到这张表单", "en": "Form not found"},
    "forms.not_found": {
        "zh": "没有这个部门或表单。地址应为 /forms/<部门>/<表单名>，对应 forms/<部门>/<表单名>.json。",
        "en": "There is no such department or form. The address is /forms/<department>/<name>, "
        "for the file forms/<department>/<name>.json.",
    },
    "forms.too_large.title": {"zh": "提交的内容过大", "en": "Too much data submitted"},
    "forms.too_large": {
        "zh": "提交的表单超过了允许的大小（{limit}），未被处理。请减少内容后重试。",
        "en": "The form sent is larger than allowed ({limit}) and was not processed. "
        "Send less and try again.",
    },
    "forms.too_many_rows.title": {"zh": "提交的行数过多", "en": "Too many lines sent"},
    "forms.too_many_rows": {
        "zh": "{message}，而提交了{rows}行。表单未被处理，未做任何更改。请返回页面，减少行数后再提交。",
        "en": "{message}, and {rows} were sent. The form was not processed and nothing was changed. "
        "Go back to the page, remove lines and send it again.",
    },
    "forms.broken.title": {"zh": "表单定义有误", "en": "The form definition has problems"},
    "forms.broken": {
        "zh": "这张表单的界面文件与数据结构不符，无法显示。"
        "请先修正以下问题（orderloom validate forms/ 也会列出）：",
        "en": "This form's UI file does not fit its data schema, so it cannot be shown. "
        "Fix these problems first (orderloom validate forms/ lists them too):",
    },
}


def current_lang() -> str:
    """The language asked for: ?lang=, then the cookie, then the browser's Accept-Language."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "zh" if best.startswith("zh") else "en"


# Names of the codes the shipped departments use (../shared/GLOSSARY.md); a code not here is shown as is.
TERMS: dict[str, dict[str, dict[str, str]]] = {
    "channel": {
        "web": {"zh": "网站", "en": "Web shop"},
        "app": {"zh": "移动应用", "en": "App"},
        "phone": {"zh": "电话", "en": "Phone"},
        "email": {"zh": "电子邮件", "en": "Email"},
    },
    "department": {
        "retail": {"zh": "零售", "en": "Retail"},
        "wholesale": {"zh": "批发", "en": "Wholesale"},
        "after_sales": {"zh": "售后", "en": "After-sales"},
    },
    "reason": {
        "auto": {"zh": "自动", "en": "automatic"},
        "unpaid_timeout": {"zh": "超时未支付自动取消", "en": "cancelled: unpaid in time"},
        "auto_confirm_receipt": {"zh": "自动确认收货", "en": "receipt confirmed automatically"},
    },
}


def term(kind: str, code: str, lang: str) -> str:
    """The name of a code (a channel, a department, a step's reason) in ``lang``; unknown codes as is."""
    entry = TERMS.get(kind, {}).get(code)
    if entry is None:
        return code
    return entry["zh"] if lang == "zh" else entry["en"]


def translate(key: str, lang: str) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    return entry["zh"] if lang == "zh" else entry["en"]
