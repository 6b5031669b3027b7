"""Console texts in Chinese and English. Every visible string goes through :func:`translator`.

Keys missing from the table show as the key itself, which a test catches (every key used
by a template must exist in both languages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("piguard 个人信息保护控制台", "piguard console"),
    "lang.switch": ("English", "中文"),
    "nav.home": ("首页", "Home"),
    "nav.search": ("客户查询", "Customers"),
    "nav.approvals": ("审批", "Approvals"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.alerts": ("告警", "Alerts"),
    "nav.dashboard": ("仪表盘", "Dashboard"),
    "nav.users": ("用户", "Users"),
    "nav.roles": ("角色", "Roles"),
    "nav.clients": ("API 客户端", "API clients"),
    "nav.training": ("培训记录", "Training"),
    "nav.logout": ("退出登录", "Log out"),
    "login.title": ("登录", "Sign in"),
    "login.name": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.totp": ("动态验证码 (TOTP)", "TOTP code"),
    "login.submit": ("登录", "Sign in"),
    "login.expired": (
        "会话因长时间未操作已过期，请重新登录。",
        "Your session expired after inactivity: sign in again.",
    ),
    "login.logged_out": ("已退出登录。", "You are signed out."),
    "login.failed": ("用户名、密码或动态验证码错误。", "Invalid user name, password or TOTP code."),
    "csrf.refused": (
        "请求已被拒绝：表单已失效，请刷新页面后重试。",
        "Request refused: the form is stale, reload the page and try again.",
    ),
    "common.submit": ("提交", "Submit"),
    "common.none": ("无", "None"),
    "common.empty": ("暂无数据。", "Nothing to show."),
    "common.purpose": ("处理目的", "Purpose"),
    "common.reason": ("理由", "Reason"),
    "common.status": ("状态", "Status"),
    "common.time": ("时间", "Time"),
    "common.actions": ("操作", "Actions"),
    "common.role": ("角色", "Role"),
    "common.name": ("名称", "Name"),
    "common.id": ("编号", "ID"),
    "common.filter": ("筛选", "Filter"),
    "common.minutes": ("时长（分钟）", "Minutes"),
    "common.error": ("错误", "Error"),
    "common.forbidden": ("无权访问此页面。", "You may not open this page."),
    "home.title": ("首页", "Home"),
    "home.welcome": ("欢迎", "Welcome"),
    "home.training": ("培训状态", "Training"),
    "home.stepped_up": ("已完成二次验证", "Step-up verified"),
    "home.not_stepped_up": ("未完成二次验证", "No recent step-up"),
    "search.title": ("客户查询", "Customer search"),
    "search.field": ("查询字段", "Field"),
    "search.value": ("查询值", "Value"),
    "search.submit": ("查询", "Search"),
    "search.results": ("查询结果", "Results"),
    "search.no_results": ("未找到匹配的客户。", "No matching customer."),
    "search.open": ("查看", "Open"),
    "search.hint": (
        "查询值只在表单中提交，不会出现在网址里。",
        "Values are posted in the form body and never appear in the address bar.",
    ),
    "customer.title": ("客户", "Customer"),
    "record.title": ("记录", "Record"),
    "record.field": ("字段", "Field"),
    "record.value": ("值", "Value"),
    "record.level": ("访问级别", "Access"),
    "record.rule": ("依据", "Rule"),
    "record.records": ("关联记录", "Records"),
    "record.type": ("记录类型", "Record type"),
    "record.refresh": ("切换", "Switch"),
    # One label per catalog level (piguard.catalog.vocabulary.LEVELS; a test checks).
    "level.clear": ("明文", "clear"),
    "level.masked": ("已脱敏", "masked"),
    "level.deny": ("不可见", "hidden"),
    # One label per catalog action (piguard.catalog.vocabulary.ACTIONS; a test checks).
    "action.read": ("查看", "read"),
    "action.write": ("录入", "write"),
    "action.search": ("查询", "search"),
    "action.list": ("列表", "list"),
    "action.export": ("导出", "export"),
    "action.erase": ("删除", "erase"),
    "action.approve": ("审批", "approve"),
    "action.administer": ("管理", "administer"),
    "action.audit": ("审计", "audit"),
    "unmask.title": ("申请查看明文", "Request clear access"),
    "unmask.help": (
        "勾选要查看明文的字段，填写理由；需要时输入新的动态验证码完成二次验证，并提交审批申请。",
        "Tick the fields to see in clear and give a reason; enter a fresh TOTP code for step-up "
        "when asked, and a grant request goes to an approver.",
    ),
    "unmask.totp": ("二次验证动态码", "Step-up TOTP code"),
    "unmask.totp_optional": ("（已验证，可留空）", "(verified recently; may be left empty)"),
    "unmask.submit": ("申请", "Request"),
    "unmask.requested": (
        "已提交查看明文的申请，等待审批。",
        "Clear-access request filed; waiting for approval.",
    ),
    "unmask.stepped_up": ("二次验证成功。", "Step-up verified."),
    "unmask.pick": ("请至少选择一个字段。", "Pick at least one field."),
    "unmask.needs_grant": ("需审批", "needs approval"),
    "unmask.needs_step_up": ("需二次验证", "needs step-up"),
    "unmask.never": ("本角色无法申请明文", "your role can never unmask this"),
    "unmask.ask": ("可查看明文的角色：", "roles that see it in clear: "),
    "unmask.ask_none": ("任何角色都不能查看明文", "no role sees it in clear"),
    "approvals.title": ("审批", "Approvals"),
    "approvals.inbox": ("待我审批", "Waiting for my decision"),
    "approvals.mine": ("我的申请", "My requests"),
    "approvals.requester": ("申请人", "Requester"),
    "approvals.customer": ("客户编号", "Customer id"),
    "approvals.fields": ("字段", "Fields"),
    "approvals.approve": ("批准", "Approve"),
    "approvals.deny": ("拒绝", "Deny"),
    "approvals.approved": ("已批准。", "Approved."),
    "approvals.denied": ("已拒绝。", "Denied."),
    "approvals.expires": ("到期时间", "Expires"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.customer": ("客户编号", "Customer id"),
    "audit.actor": ("操作人", "Actor"),
    "audit.action": ("动作", "Action"),
    "audit.since": ("起始", "From"),
    "audit.until": ("截止", "Until"),
    "audit.decision": ("决定", "Decision"),
    "audit.result": ("结果", "Result"),
    "audit.fields": ("字段", "Fields"),
    "audit.seq": ("序号", "Seq"),
    "audit.unavailable": (
        "审计日志尚未启用：此安装只在内存中记录访问事件。",
        "The audit trail is not enabled: this installation records access events in memory only.",
    ),
    "audit.next": ("下一页", "Next page"),
    "alerts.title": ("告警", "Alerts"),
    "alerts.rule": ("规则", "Rule"),
    "alerts.severity": ("级别", "Severity"),
    "alerts.summary": ("摘要", "Summary"),
    "alerts.comment": ("处理说明", "Comment"),
    "alerts.ack": ("确认", "Acknowledge"),
    "alerts.acked": ("告警已确认。", "Alert acknowledged."),
    "alerts.open": ("未处理", "open"),
    "alerts.acknowledged": ("已确认", "acknowledged"),
    "dash.title": ("仪表盘", "Dashboard"),
    "dash.per_day": ("每日访问量（近14天）", "Accesses per day (14 days)"),
    "dash.by_role": ("按角色访问量", "Accesses by role"),
    "dash.denied": ("每日被拒绝的请求", "Denied requests per day"),
    "dash.alerts": ("告警", "Alerts"),
    "dash.source_audit": ("数据来源：审计日志", "Source: the audit trail"),
    "dash.source_memory": (
        "数据来源：内存中的访问事件（审计日志未启用）",
        "Source: in-memory access events (audit trail not enabled)",
    ),
    "users.title": ("用户", "Users"),
    "users.add": ("新增用户", "Add a user"),
    "users.created": (
        "用户已创建。以下初始密码和 TOTP 密钥只显示这一次：",
        "User created. The initial password and TOTP secret below are shown this once:",
    ),
    "users.disable": ("停用", "Disable"),
    "users.enable": ("启用", "Enable"),
    "users.unlock": ("解锁", "Unlock"),
    "users.approve": ("批准（第二人）", "Approve (second person)"),
    "users.locked": ("已锁定", "locked"),
    "users.totp": ("TOTP", "TOTP"),
    "users.done": ("已完成。", "Done."),
    "clients.title": ("API 客户端", "API clients"),
    "clients.add": ("新增客户端", "Add a client"),
    "clients.days": ("有效期（天）", "Valid for (days)"),
    "clients.created": (
        "客户端已创建。以下 API 密钥只显示这一次：",
        "Client created. The API key below is shown this once:",
    ),
    "clients.revoke": ("吊销", "Revoke"),
    "roles.title": ("角色", "Roles"),
    "roles.actions": ("权限动作", "Actions"),
    "roles.purposes": ("处理目的", "Purposes"),
    "roles.access": ("字段访问规则", "Field access"),
    "roles.approves": ("可审批", "Approves"),
    "training.title": ("培训记录", "Training records"),
    "training.user": ("用户", "User"),
    "training.kind": ("类型", "Kind"),
    "training.course": ("课程 / 协议", "Course / agreement"),
    "training.completed_on": ("完成日期", "Completed on"),
    "training.score": ("成绩", "Score"),
    "training.valid_until": ("有效期至", "Valid until"),
    "training.record": ("登记", "Record"),
    "training.recorded": ("培训记录已登记。", "Training recorded."),
}


def translator(lang: str) -> Callable[[str], str]:
    """A function from message key to the text in ``lang`` (Chinese for unknown languages)."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return t


def pick_lang(cookie: str | None, accept_language: str | None) -> str:
    """The console language: the user's choice (cookie), else the browser's preference, else Chinese."""
    if cookie in LANGS:
        return str(cookie)
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def label(labels: object | None, lang: str, fallback: str) -> str:
    """A catalog :class:`~piguard.catalog.models.Label` (or mapping) in ``lang``, else ``fallback``."""
    if isinstance(labels, Mapping):
        value = labels.get(lang)
    else:
        value = getattr(labels, lang, None)
    return value if isinstance(value, str) and value else fallback
