"""Console texts in Chinese and English. Every visible string goes through :func:`translator`.

Keys missing from the table show as the key itself, which a test catches (every key used
by a template must exist in both languages).

Beyond fixed texts the module names the catalog's and the system's vocabulary in the console
language (:func:`term`: roles, purposes, record types, statuses, audit actions, alert rules),
formats instants in Beijing time with the zone (:func:`when`), explains refusals from their
message code (:func:`error_text`, fed by :attr:`piguard.errors.AccessDenied.key`) and alert
summaries from their rule and detail (:func:`alert_summary`). Pages use these, never English
strings built elsewhere; ``tests/web/test_language.py`` reads every zh page in Chromium and
flags any English word outside data values (``<code>`` and ``data-value`` elements).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from piguard.calendar import LOCAL_TZ

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("piguard 个人信息保护控制台", "piguard console"),
    "lang.switch": ("English", "中文"),
    "nav.home": ("首页", "Home"),
    "nav.search": ("客户查询", "Customers"),
    "nav.approvals": ("审批", "Approvals"),
    "nav.requests": ("个人权利请求", "Rights requests"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.alerts": ("告警", "Alerts"),
    "nav.dashboard": ("仪表盘", "Dashboard"),
    "nav.users": ("用户", "Users"),
    "nav.roles": ("角色", "Roles"),
    "nav.jobs": ("定时任务", "Jobs"),
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
    "home.training_missing": ("培训或保密协议缺失或已过期", "training or agreement missing or expired"),
    "home.import_templates": ("导入模板（CSV）", "Import templates (CSV)"),
    "search.title": ("客户查询", "Customer search"),
    "nav.stays": ("入住登记", "Stays"),
    "nav.sharing": ("对外提供", "Sharing"),
    "sharing.title": ("对外提供个人信息", "Sharing with partners"),
    "sharing.hint": (
        "合作方、协议、个人信息保护影响评估与对外提供记录。每次提供都须在有效协议之内、有现行评估、"
        "逐人取得单独同意，逐字段去标识化，并留存记录至少三年。",
        "Partners, agreements, impact assessments and the transfer log. Every share runs under an active "
        "agreement with a current assessment and each person's separate consent, each field desensitised, "
        "and is logged for at least three years.",
    ),
    "sharing.partners": ("合作方", "Partners"),
    "sharing.name": ("名称", "Name"),
    "sharing.uscc": ("统一社会信用代码", "Credit code"),
    "sharing.country": ("国家/地区", "Country"),
    "sharing.role": ("角色", "Role"),
    "sharing.role.entrusted": ("受托方", "entrusted processor"),
    "sharing.role.recipient": ("接收方", "independent recipient"),
    "sharing.role.joint": ("共同处理者", "joint processor"),
    "sharing.security": ("安全评估", "Security assessment"),
    "sharing.expired": ("已过期", "expired"),
    "sharing.agreements": ("协议", "Agreements"),
    "sharing.agreement": ("协议", "Agreement"),
    "sharing.type": ("类型", "Type"),
    "sharing.type.entrustment": ("委托处理", "entrustment"),
    "sharing.type.provision": ("向他人提供", "provision"),
    "sharing.type.joint": ("共同处理", "joint processing"),
    "sharing.type.cross_border": ("出境（标准合同等）", "cross-border"),
    "sharing.purpose": ("目的", "Purpose"),
    "sharing.term": ("期限", "Term"),
    "sharing.fields": ("字段与规则", "Fields and rules"),
    "sharing.rule.mask": ("遮盖", "masked"),
    "sharing.rule.pseudonymise": ("假名化", "pseudonymised"),
    "sharing.rule.generalise": ("泛化", "generalised"),
    "sharing.rule.suppress": ("不提供", "suppressed"),
    "sharing.state.active": ("有效", "active"),
    "sharing.state.suspended": ("已暂停", "suspended"),
    "sharing.state.ended": ("已终止", "ended"),
    "sharing.suspend": ("暂停", "Suspend"),
    "sharing.suspended": ("协议 {agreement} 已暂停", "Agreement {agreement} suspended"),
    "sharing.assessments": ("个人信息保护影响评估", "Impact assessments (PIPIA)"),
    "sharing.assessment": ("评估", "Assessment"),
    "sharing.link": ("关联", "For"),
    "sharing.conclusion": ("结论", "Conclusion"),
    "sharing.conclusion.acceptable": ("可接受", "acceptable"),
    "sharing.conclusion.acceptable_with_measures": ("采取措施后可接受", "acceptable with measures"),
    "sharing.conclusion.not_acceptable": ("不可接受", "not acceptable"),
    "sharing.reviewer": ("评审人", "Reviewer"),
    "sharing.valid": ("有效期", "Valid"),
    "sharing.transfers": ("对外提供记录", "Transfer log"),
    "sharing.when": ("时间", "When"),
    "sharing.kind": ("类别", "Kind"),
    "sharing.kind.share": ("提供", "share"),
    "sharing.kind.extract": ("匿名化数据集", "anonymised extract"),
    "sharing.kind.disclosure": ("公开", "public disclosure"),
    "sharing.requests": ("对外提供申请", "Share requests"),
    "sharing.requests.hint": (
        "申请人提交后，须由另一位有审批权限的人员批准（申请人不能批准自己的申请）；批准后由申请人下载一次，"
        "下载时才按协议执行对外提供并记录。",
        "A request is approved by another person who may approve (never the requester); the requester then "
        "downloads it once, and only then does the share run under its agreement and get logged.",
    ),
    "sharing.request.new": ("申请对外提供", "Request a share"),
    "sharing.request.customers": ("客户编号（每行一个）", "Customer ids (one a line)"),
    "sharing.request.all": (
        "全部客户（未同意者自动排除）",
        "Every customer (those without consent are left out)",
    ),
    "sharing.request.format": ("格式", "Format"),
    "sharing.format.csv": ("CSV 表格", "CSV table"),
    "sharing.format.jsonl": ("JSON Lines 文本", "JSON Lines text"),
    "sharing.request.submit": ("提交申请", "Submit the request"),
    "sharing.request.id": ("申请", "Request"),
    "sharing.request.count": ("客户数", "Customers"),
    "sharing.request.everyone": ("全部", "all"),
    "sharing.request.requester": ("申请人", "Requested by"),
    "sharing.request.decider": ("审批人", "Decided by"),
    "sharing.request.approve": ("批准", "Approve"),
    "sharing.request.refuse": ("拒绝", "Refuse"),
    "sharing.request.download": ("下载（仅一次）", "Download (once)"),
    "sharing.request.state.pending": ("待审批", "awaiting approval"),
    "sharing.request.state.approved": ("已批准", "approved"),
    "sharing.request.state.refused": ("已拒绝", "refused"),
    "sharing.request.state.done": ("已下载", "downloaded"),
    "sharing.requested": (
        "已提交对外提供申请，等待另一位人员审批",
        "Share request submitted; another person approves it",
    ),
    "sharing.approved": ("已批准对外提供申请", "Share request approved"),
    "sharing.refused": ("已拒绝对外提供申请", "Share request refused"),
    "sharing.cross_border": ("出境", "abroad"),
    "sharing.persons": ("人数", "Persons"),
    "sharing.left_out": ("未提供（原因）", "Left out (why)"),
    "sharing.operator": ("操作人", "Operator"),
    "sharing.hash": ("内容哈希", "Content hash"),
    "sharing.notices": ("待确认的删除通知", "Deletion notices awaiting acknowledgement"),
    "sharing.notice.ack": ("合作方已确认删除", "Partner confirmed the deletion"),
    "sharing.acknowledged": ("已记录合作方的删除确认", "The partner's deletion confirmation is recorded"),
    "sharing.partner": ("合作方", "Partner"),
    "sharing.partner.new": ("登记合作方", "Register a partner"),
    "sharing.partner.submit": ("登记", "Register"),
    "sharing.partner_added": ("合作方已登记", "Partner registered"),
    "sharing.contact": ("联系方式（个人信息保护负责人邮箱）", "Contact (data protection email)"),
    "sharing.authority": (
        "境外司法或执法机构（不得向其提供，须经主管机关批准）",
        "A foreign judicial or law-enforcement body (nothing goes to it without the authorities' approval)",
    ),
    "sharing.security_basis": (
        "安全能力依据（认证或评估标准）",
        "Security basis (certification or standard)",
    ),
    "sharing.assessor": ("评估机构", "Assessed by"),
    "sharing.notify_url": (
        "删除通知接收地址（合作方接口，须为加密地址，可选）",
        "Deletion-notice endpoint (the partner's API, https://, optional)",
    ),
    "sharing.assessed_on": ("评估日期", "Assessed on"),
    "sharing.assessment_expires": ("评估有效至", "Assessment valid until"),
    "sharing.agreement.new": ("记录协议", "Record an agreement"),
    "sharing.agreement.submit": ("记录协议", "Record the agreement"),
    "sharing.agreement_added": ("协议已记录", "Agreement recorded"),
    "sharing.form.rules": ("字段与规则（每行一个）", "Fields and rules (one a line)"),
    "sharing.form.rules_hint": (
        "每行写“字段: 规则”，规则可带参数“参数=值”，例如",
        "Write 'field: rule' on each line, a rule's parameters as 'param=value', for example",
    ),
    "sharing.method": ("提供方式", "Method"),
    "sharing.safeguards": ("保护措施", "Safeguards"),
    "sharing.starts_on": ("生效日期", "Starts on"),
    "sharing.ends_on": ("终止日期", "Ends on"),
    "sharing.document": ("协议文本的哈希值（十六进制，64 位）", "Hash of the signed text (hex, 64 digits)"),
    "sharing.sub_entrustment": ("允许转委托", "Sub-entrustment allowed"),
    "sharing.mechanism": ("出境机制（仅出境协议）", "Cross-border mechanism (cross-border only)"),
    "sharing.mechanism.none": ("不适用", "not applicable"),
    "sharing.mechanism.security_assessment": ("数据出境安全评估", "security assessment"),
    "sharing.mechanism.certification": ("个人信息保护认证", "certification"),
    "sharing.mechanism.standard_contract": ("标准合同", "standard contract"),
    "sharing.mechanism.exemption": ("豁免情形", "exemption"),
    "sharing.destination": ("境外接收方所在国家/地区（两位代码）", "Destination country (two letters)"),
    "sharing.assessment.new": ("记录个人信息保护影响评估", "Record an impact assessment"),
    "sharing.assessment.submit": ("记录评估", "Record the assessment"),
    "sharing.assessment_added": (
        "影响评估已记录（第 {version} 版）",
        "Impact assessment recorded (version {version})",
    ),
    "sharing.section.scope": ("评估范围", "Scope"),
    "sharing.section.data_flows": ("数据流转", "Data flows"),
    "sharing.section.legality_necessity": ("合法性、正当性与必要性", "Legality and necessity"),
    "sharing.section.impact_on_persons": ("对个人权益的影响", "Impact on the persons"),
    "sharing.section.security_measures": ("安全保护措施", "Security measures"),
    "sharing.section.residual_risk": ("剩余风险", "Residual risk"),
    "sharing.valid_until": ("有效至", "Valid until"),
    "sharing.version": ("第 {version} 版", "version {version}"),
    "sharing.disclose": ("公开个人信息", "Public disclosure"),
    "sharing.disclose.hint": (
        "仅公开单独同意公开的客户；该目的须有有效的影响评估。结果与签名清单打包下载，仅此一次。",
        "Only customers who gave separate consent to public disclosure are disclosed, and the purpose needs "
        "a current impact assessment. The result and its signed manifest download once, zipped.",
    ),
    "sharing.disclose.medium": ("公开渠道（如官网中奖名单公示）", "Where it is published (e.g. the website)"),
    "sharing.disclose.submit": ("公开并下载", "Disclose and download"),
    "sharing.end": ("终止协议", "End the agreement"),
    "sharing.end.outcome": ("数据的处理结果", "What became of the data"),
    "sharing.end.outcome.returned": ("已返还", "returned"),
    "sharing.end.outcome.deleted": ("已删除", "deleted"),
    "sharing.end.outcome.none": ("不适用（非委托处理）", "not applicable (not an entrustment)"),
    "sharing.end.evidence": (
        "返还或删除的证明文件（只计算并记录其哈希值，不保存文件）",
        "Evidence of the return or deletion (only its hash is recorded; the file is not kept)",
    ),
    "sharing.end.evidence_sha256": (
        "或：证明文件的哈希值（十六进制，64 位）",
        "or: the evidence's hash (hex, 64 digits)",
    ),
    "sharing.end.submit": ("终止", "End"),
    "sharing.end.evidence_hash": ("证明文件哈希", "Evidence hash"),
    "sharing.ended": ("协议已终止", "Agreement ended"),
    "sharing.ended_at": ("终止于", "Ended"),
    "sharing.extract": ("匿名化数据集", "Anonymised extract"),
    "sharing.extract.hint": (
        "仅含泛化后的准标识符与不能直接识别个人的字段，姓名、证件号码、手机号码等直接标识符一律不出现。"
        "达不到设定的每组人数（及敏感属性的不同取值数）即拒绝，不生成文件；"
        "文件只下载这一次，piguard 仅记录其哈希。",
        "Only generalised quasi-identifiers and fields that identify nobody directly; names, ID and phone "
        "numbers never appear. If the group size (and the sensitive attribute's diversity) cannot be reached "
        "it is refused and no file is made; the file downloads this once and piguard keeps only its hash.",
    ),
    "sharing.extract.fields": ("字段（以逗号分隔）", "Fields (comma-separated)"),
    "sharing.extract.fields_hint": ("可用字段：", "Fields it may name:"),
    "sharing.extract.quasi": (
        "准标识符（以逗号分隔，须为上列字段之一）",
        "Quasi-identifiers (comma-separated, among the fields)",
    ),
    "sharing.extract.k": ("每组至少人数", "Smallest group"),
    "sharing.extract.sensitive": (
        "敏感属性（可选，须为上列字段之一）",
        "Sensitive attribute (optional, among the fields)",
    ),
    "sharing.extract.l": (
        "每组敏感属性至少不同取值数（可选）",
        "Least distinct sensitive values in a group (optional)",
    ),
    "sharing.extract.submit": ("生成并下载", "Make and download"),
    "stays.title": ("入住登记", "Stays"),
    "stays.hint": (
        "登记住宿本身不开放客人信息：须核对客人出示的证件号码，或经值班经理审批后办理入住，前台才能查看该客人。",
        "Registering a stay opens nothing: check the guest in by the ID number they show, or with a duty "
        "manager's approval, before the desk sees the guest.",
    ),
    "stays.check_in": ("办理入住", "Check in"),
    "stays.check_out": ("办理退房", "Check out"),
    "stays.register": ("登记住宿", "Register a stay"),
    "stays.ask": ("申请审批入住", "Ask for check-in approval"),
    "stays.stay_id": ("住宿编号", "Stay id"),
    "stays.customer_id": ("客户编号", "Customer id"),
    "stays.id_number": ("客人证件号码", "Guest's ID number"),
    "stays.grant_id": ("或：审批编号", "or: approval id"),
    "stays.reason": ("申请理由", "Reason"),
    "stays.room": ("房间号", "Room"),
    "stays.from": ("入住日期", "Check-in date"),
    "stays.until": ("离店日期", "Check-out date"),
    "stays.registered": ("住宿 {stay} 已登记（尚未入住）。", "Stay {stay} registered (not checked in)."),
    "stays.checked_in": ("住宿 {stay} 已办理入住。", "Stay {stay} checked in."),
    "stays.checked_out": ("住宿 {stay} 已退房。", "Stay {stay} checked out."),
    "stays.asked": (
        "入住审批 {grant} 已提交，等待另一人审批。",
        "Check-in approval {grant} requested; another person must approve it.",
    ),
    "nav.retention": ("保存期限", "Retention"),
    "nav.holds": ("法律保全", "Legal holds"),
    "nav.backups": ("备份", "Backups"),
    "retention.title": ("保存期限与销毁", "Retention and destruction"),
    "retention.hint": (
        "规则来自数据目录（只读）。到期数据由定时任务按规则销毁（加密粉碎）；处于法律保全或法定最短保存期内的数据仅存储和保护，不作他用。",
        "Rules come from the catalog (read-only). Due data is destroyed (crypto-shredded) by the scheduled "
        "run; data under a legal hold or a legal floor is kept for storage and protection only.",
    ),
    "retention.rules": ("保存规则", "Retention rules"),
    "retention.rule": ("规则", "Rule"),
    "retention.keep": ("保存期限", "Keep"),
    "retention.anchor": ("起算事件", "Counted from"),
    "retention.floor": ("法定最短期限", "Legal floor"),
    "retention.basis": ("依据", "Basis"),
    "retention.applies": ("适用于", "Applies to"),
    "retention.plan": ("到期预览", "What is due"),
    "retention.as_of": ("截至日期", "As of"),
    "retention.show": ("预览", "Show"),
    "retention.record_type": ("记录类型", "Record type"),
    "retention.action": ("处理方式", "Action"),
    "retention.count": ("数量", "Count"),
    "retention.held": ("因法律保全保留的客户：{held}", "Customers kept under legal hold: {held}"),
    "retention.nothing_due": ("没有到期的数据。", "Nothing is due."),
    "retention.run": ("立即执行", "Run now"),
    "retention.ran": (
        "已执行：销毁 {destroyed}，保全保留 {held}。",
        "Run done: {destroyed} destroyed, {held} held.",
    ),
    "retention.records": ("销毁记录", "Destruction records"),
    "retention.method": ("方式", "Method"),
    "retention.operator": ("操作人", "Operator"),
    "retention.download": ("下载（已签名）", "Download (signed)"),
    "retention.bad_date": ("日期格式应为 YYYY-MM-DD。", "A date is YYYY-MM-DD."),
    "retention.end": ("到期处理", "At the end"),
    "retention.end.destroy": ("删除", "destroy"),
    "retention.end.anonymise": ("匿名化统计后删除", "anonymise (count, then destroy)"),
    "retention.end.review": ("人工复核", "review by a person"),
    "retention.reviews": ("待复核的到期记录", "Records waiting for a decision"),
    "retention.reviews_hint": (
        "这些记录的保存期限已到，其规则要求由人决定：删除（下次执行时删除）或保留至某日（届时再次复核）。",
        "Their period has ended under a rule that asks a person: destroy (at the next run) or keep "
        "until a day (then asked again).",
    ),
    "retention.due": ("到期日", "Due"),
    "retention.decide": ("提交决定", "Decide"),
    "retention.decide_destroy": ("删除", "Destroy"),
    "retention.keep_until": ("保留至", "Keep until"),
    "retention.decided": ("复核 {review} 已作出决定。", "Review {review} decided."),
    "retention.statistics": ("匿名化统计", "Anonymised statistics"),
    "retention.statistics_hint": (
        "匿名化规则到期时只保留按记录类型、规则和月份的计数，不含任何个人信息。",
        "What anonymisation keeps: counts by record type, rule and month, nothing about anyone.",
    ),
    "retention.month": ("月份", "Month"),
    "holds.title": ("法律保全", "Legal holds"),
    "holds.hint": (
        "被保全的客户的任何数据都不会被销毁，直至解除保全；保全理由加密保存，不在列表中显示。",
        "Nothing of a held customer is destroyed until the hold is released; reasons are sealed and "
        "not listed.",
    ),
    "holds.customer": ("客户编号", "Customer id"),
    "holds.matter": ("案件编号", "Matter"),
    "holds.owner": ("负责人", "Owner"),
    "holds.review": ("复核日期", "Review on"),
    "holds.review_due": ("待复核", "review due"),
    "holds.placed": ("法律保全 {hold} 已设置。", "Legal hold {hold} placed."),
    "holds.released": ("法律保全 {hold} 已解除。", "Legal hold {hold} released."),
    "holds.place": ("设置保全", "Place a hold"),
    "holds.release": ("解除", "Release"),
    "holds.show_all": ("包括已解除的", "Include released"),
    "holds.released_at": ("解除时间", "Released"),
    "backups.title": ("备份", "Backups"),
    "backups.hint": (
        "备份为加密并签名的文件，存放于安装目录的 backups 下；恢复请在命令行运行 piguard backup restore，"
        "恢复后会重放删除台账，已删除的客户不会复活。",
        "Backups are encrypted, signed files under the home's backups directory. Restore with "
        "'piguard backup restore' on the command line: it replays the erasure ledger, so erased "
        "customers stay erased.",
    ),
    "backups.name": ("备份名称", "Backup name"),
    "backups.create": ("创建备份", "Create a backup"),
    "backups.verify": ("校验（试恢复）", "Verify (trial restore)"),
    "backups.created": (
        "备份 {name} 已创建（{customers} 位客户）。",
        "Backup {name} created ({customers} customers).",
    ),
    "backups.verified": (
        "备份 {name} 校验通过：试恢复成功，抽样 {records} 条记录可读。",
        "Backup {name} verifies: the trial restore succeeded and {records} sample records open.",
    ),
    "backups.intact": ("完整", "intact"),
    "backups.damaged": ("已损坏或被改动", "damaged or changed"),
    "backups.customers": ("客户数", "Customers"),
    "backups.created_at": ("创建时间", "Created"),
    "search.field": ("查询字段", "Field"),
    "search.value": ("查询值", "Value"),
    "search.submit": ("查询", "Search"),
    "search.results": ("查询结果", "Results"),
    "search.no_results": ("未找到匹配的客户。", "No matching customer."),
    "search.open": ("查看", "Open"),
    "search.name": ("姓名（脱敏）", "Name (masked)"),
    "search.mobile": ("手机号码（脱敏）", "Mobile (masked)"),
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
    # Why a field shows as it does (the rule's own text stays in the cell's tooltip).
    "rule.clear": ("角色规则允许查看明文", "clear under the role's rule"),
    "rule.clear_grant": ("已获批准的授权允许查看明文", "clear under an approved grant"),
    "rule.masked_role": ("角色规则只允许查看脱敏值", "the role's rule shows it masked"),
    "rule.masked_step_up": ("完成二次验证后可查看明文", "clear after a step-up"),
    "rule.masked_grant": ("经审批后可查看明文", "clear after an approved grant"),
    "rule.masked_training": ("培训未完成，只显示脱敏值", "masked: training not current"),
    "rule.never": ("此类信息从不显示明文", "this class is never shown in clear"),
    "rule.deny": ("此角色或此目的不可查看", "not visible to this role or purpose"),
    "match.title": ("核对客户所述信息", "Check what the caller says"),
    "match.help": (
        "输入客户报出的号码，系统只回答是否一致，不显示也不保存该值；每次核对都计入本小时的试探额度。",
        "Type the value the caller states: the answer is only whether it matches; the value is "
        "neither shown nor kept. Every check counts against this hour's probe budget.",
    ),
    "match.value": ("客户所述", "As stated"),
    "match.submit": ("核对", "Check"),
    "match.yes": ("{field}：一致", "{field}: matches"),
    "match.no": ("{field}：不一致", "{field}: does not match"),
    "match.empty": ("请输入要核对的值。", "Type the value to check."),
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
    "approvals.totp": ("审批需二次验证，请输入动态码", "Deciding needs a step-up: TOTP code"),
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
    "jobs.title": ("定时任务", "Scheduled jobs"),
    "jobs.hint": (
        "每个节点都会检查到期任务；数据库中的租约保证每次只由一个节点运行。节点崩溃后，租约到期即由其他节点接手。",
        "Every node checks for due jobs; a lease in the database lets one node run each. If a node dies, "
        "another takes over once its lease expires.",
    ),
    "jobs.name": ("任务", "Job"),
    "jobs.every": ("周期", "Every"),
    "jobs.next_due": ("下次到期", "Next due"),
    "jobs.held_by": ("租约持有者", "Held by"),
    "jobs.last": ("上次结果", "Last run"),
    "jobs.runs": ("运行次数", "Runs"),
    "jobs.seconds": ("{n} 秒", "{n} s"),
    "jobs.ok": ("成功", "ok"),
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
    "training.course_kind": ("课程", "course"),
    "training.agreement_kind": ("保密协议", "agreement"),
    # Marks for values a page cannot show: nothing there, or withheld from this reader.
    "value.empty": ("—", "—"),
    "value.hidden": ("［已隐藏］", "[hidden]"),
    "value.hidden_title": ("此值对您不可见或被拒绝显示", "withheld from you (masked or refused)"),
    "time.zone": ("北京时间", "UTC+8"),
    "common.yes": ("是", "yes"),
    "common.ok": ("正常", "OK"),
    "common.all": ("全部", "all"),
    "common.back_home": ("返回首页", "Back to the home page"),
    "common.not_found": ("页面不存在。", "There is no such page."),
    "common.customer": ("客户", "Customer"),
    "nav.compliance": ("合规", "Compliance"),
    "compliance.title": ("合规证据", "Compliance evidence"),
    "compliance.generate": ("生成合规报告", "Generate a compliance report"),
    "compliance.generated": ("已生成并签名合规报告 {id}", "Compliance report {id} generated and signed"),
    "compliance.reports": ("历次报告", "Reports"),
    "compliance.report": ("报告", "Report"),
    "compliance.when": ("生成时间", "Generated"),
    "compliance.counts": ("各状态要求数", "Requirements by status"),
    "compliance.download": ("下载", "Download"),
    "compliance.checks": ("实时检查（未通过在前）", "Live checks (failing first)"),
    "compliance.check": ("检查", "Check"),
    "compliance.requirements": ("要求编号", "Requirements"),
    "compliance.summary": ("结果", "Finding"),
    "compliance.governance": ("治理记录", "Governance records"),
    "compliance.officer": ("个人信息保护负责人", "PI protection officer"),
    "compliance.status.pass": ("通过", "pass"),
    "compliance.status.fail": ("未通过", "fail"),
    "compliance.status.partial": ("部分", "partial"),
    "compliance.status.record": ("有记录", "on record"),
    "compliance.status.not_available": ("尚不可用", "not available"),
    "compliance.status.manual": ("人工", "manual"),
    "compliance.audit.general": ("合规审计", "Compliance audit"),
    "compliance.audit.minors": ("未成年人个人信息合规审计", "Audit of minors' PI"),
    "compliance.schedule.not_required": ("当前规模无需定期审计", "not required at this volume"),
    "compliance.schedule.ok": ("按期", "on schedule"),
    "compliance.schedule.due_soon": ("即将到期", "due soon"),
    "compliance.schedule.overdue": ("已超期", "overdue"),
    "nav.incidents": ("安全事件", "Incidents"),
    "incidents.title": ("个人信息安全事件登记簿", "Incident register"),
    "incidents.case": ("安全事件", "Incident"),
    "incidents.back": ("返回事件登记簿", "Back to the register"),
    "incidents.id": ("事件编号", "Incident"),
    "incidents.name": ("事件名称", "Title"),
    "incidents.stage": ("阶段", "Stage"),
    "incidents.grade": ("事件级别", "Grade"),
    "incidents.persons": ("涉及人数", "Persons affected"),
    "incidents.sensitive": ("敏感个人信息", "sensitive PI"),
    "incidents.minors": ("未满十四周岁", "under 14"),
    "incidents.discovered": ("发现时间", "Discovered"),
    "incidents.occurred": ("发生时间", "Occurred"),
    "incidents.next_due": ("最近时限", "Next deadline"),
    "incidents.open": ("登记安全事件", "Open an incident"),
    "incidents.opened": ("安全事件已登记。", "Incident opened."),
    "incidents.category": ("事件类别", "Category"),
    "incidents.description": ("事件概况", "Description"),
    "incidents.cause_known": ("原因已查明", "Cause known"),
    "incidents.cause_unknown": ("原因待查，须续报", "cause unknown: follow-up due"),
    "incidents.cause": ("原因", "Cause"),
    "incidents.harm": ("可能的危害", "Possible harm"),
    "incidents.measures": ("补救措施", "Measures taken"),
    "incidents.contact": ("联系方式", "Contact"),
    "incidents.delay_reason": ("迟延报告原因（GDPR 第 33 条）", "Reasons for the delay (GDPR Art. 33)"),
    "incidents.owner": ("负责人", "Owner"),
    "incidents.from_alert": ("来源告警", "From alert"),
    "incidents.proposed": ("建议级别，待确认", "proposed, to confirm"),
    "incidents.clocks": ("报告时限", "Reporting clocks"),
    "incidents.clock": ("时限", "Clock"),
    "incidents.due": ("截止时间", "Due"),
    "incidents.due_now": ("应立即办理", "due now"),
    "incidents.affected": ("受影响的客户（依审计记录）", "Affected customers (from the audit trail)"),
    "incidents.field": ("字段", "Field"),
    "incidents.levels": ("客户数（按可见程度）", "Customers by level seen"),
    "incidents.notices": ("报告与告知", "Reports and notices"),
    "incidents.timeline": ("处置经过", "Timeline"),
    "incidents.step": ("步骤", "Step"),
    "incidents.by": ("经办人", "By"),
    "incidents.justification": ("理由", "Justification"),
    "incidents.scope": ("计算受影响客户", "Compute the affected customers"),
    "incidents.actors": ("人员或接口客户端（逗号分隔）", "Staff users or API clients (comma-separated)"),
    "incidents.since": ("起始时间", "From"),
    "incidents.until": ("截止时间", "Until"),
    "incidents.do_scope": ("依审计记录计算", "Compute from the audit trail"),
    "incidents.act": ("处置", "Handle"),
    "incidents.confirm": ("确认级别", "Confirm grade"),
    "incidents.freeze": ("冻结账号", "Account to freeze"),
    "incidents.partner": ("暂停合作方协议（合作方编号）", "Partner whose agreements to suspend"),
    "incidents.rotate": ("轮换密钥", "Rotate the keys"),
    "incidents.do_update": ("更新", "Update"),
    "incidents.do_grade": ("定级", "Grade"),
    "incidents.do_draft": ("起草监管报告", "Draft the regulator's report"),
    "incidents.do_send": ("逐一告知个人", "Notify each person"),
    "incidents.do_public": ("生成公告", "Public announcement"),
    "incidents.do_contain": ("冻结", "Freeze"),
    "incidents.do_close": ("处置结束", "Close"),
    "incidents.status.open": ("处置中", "open"),
    "incidents.status.closed": ("已结束", "closed"),
    "incidents.stage.reported": ("已报告", "reported"),
    "incidents.stage.assessing": ("评估中", "assessing"),
    "incidents.stage.containing": ("控制中", "containing"),
    "incidents.stage.notifying": ("告知中", "notifying"),
    "incidents.stage.resolved": ("已处置", "resolved"),
    "incidents.stage.closed": ("已结束", "closed"),
    "incidents.grade.general": ("一般", "general"),
    "incidents.grade.relatively_major": ("较大", "relatively major"),
    "incidents.grade.major": ("重大", "major"),
    "incidents.grade.particularly_major": ("特别重大", "particularly major"),
    "incidents.source.computed": ("依审计记录计算", "computed from the audit trail"),
    "incidents.source.estimated": ("估算", "estimated"),
    "incidents.clock.individuals": ("告知个人（立即）", "tell individuals (immediately)"),
    "incidents.clock.regulator": ("向网信部门报告", "report to the CAC"),
    "incidents.clock.follow_up": ("续报原因", "follow-up report"),
    "incidents.clock.final": ("总结报告", "final report"),
    "incidents.clock.gdpr": ("GDPR 72 小时", "GDPR 72 h"),
    "incidents.state.done": ("已完成", "done"),
    "incidents.state.overdue": ("已超时", "overdue"),
    "incidents.state.due_now": ("应立即办理", "due now"),
    "incidents.state.nearly_due": ("即将到期", "nearly due"),
    "incidents.state.running": ("计时中", "running"),
    "incidents.state.open": ("待办", "open"),
    "incidents.event.opened": ("登记", "opened"),
    "incidents.event.updated": ("更新", "updated"),
    "incidents.event.scoped": ("计算受影响客户", "affected customers computed"),
    "incidents.event.graded": ("定级", "graded"),
    "incidents.event.notice": ("报告或告知", "report or notice"),
    "incidents.event.contained": ("冻结账号", "account frozen"),
    "incidents.event.closed": ("处置结束", "closed"),
    "incidents.notice.regulator_draft": ("监管报告草稿", "regulator report draft"),
    "incidents.notice.individual": ("个人告知", "individual notices"),
    "incidents.notice.guardian": ("监护人告知", "guardian notices"),
    "incidents.notice.public": ("公告", "public announcement"),
    "incidents.notice.individuals_skipped": (
        "不逐一告知（已记录理由）",
        "individual notice skipped (reason recorded)",
    ),
    "incidents.level.clear": ("明文", "clear"),
    "incidents.level.masked": ("掩码", "masked"),
    "incidents.level.unrecorded": ("未记录可见程度", "level not recorded"),
    "incidents.done.update": ("已更新。", "Updated."),
    "incidents.done.scope": ("已依审计记录计算受影响客户。", "Affected customers computed."),
    "incidents.done.grade": ("已定级。", "Graded."),
    "incidents.done.notify": ("已完成。", "Done."),
    "incidents.done.contain": ("账号已冻结。", "Account frozen."),
    "incidents.done.close": ("处置已结束。", "Closed."),
    "requests.title": ("个人权利请求与投诉", "Rights requests and complaints"),
    "requests.case": ("请求详情", "Request"),
    "requests.type": ("类型", "Type"),
    "requests.due": ("答复期限", "Due"),
    "requests.customer": ("客户编号", "Customer id"),
    "requests.channel": ("渠道", "Channel"),
    "requests.relation": ("请求人", "Requester"),
    "requests.relationship": ("与客户关系", "Relationship"),
    "requests.requester_name": ("请求人姓名", "Requester's name"),
    "requests.requester_document": (
        "请求人证件（及死亡证明）",
        "Requester's ID document (and death certificate)",
    ),
    "requests.letter": ("书面告知书", "Written notice"),
    "requests.stated_name": ("请求人所述姓名", "Name as stated"),
    "requests.stated_resident_id": ("所述身份证号", "ID number as stated"),
    "requests.stated_mobile": ("所述手机号", "Mobile as stated"),
    "requests.changes": ("更正内容", "Corrections"),
    "requests.change_field": ("更正字段", "Field to correct"),
    "requests.change_value": ("更正后的值", "Corrected value"),
    "requests.change_record": (
        "记录编号（客户档案以外的记录）",
        "Record id (records other than the profile)",
    ),
    "requests.received": ("收到时间", "Received"),
    "requests.verified": ("身份核验", "Identity verified"),
    "requests.outcome": ("处理结果", "Outcome"),
    "requests.timeline": ("处理经过", "Timeline"),
    "requests.step": ("步骤", "Step"),
    "requests.by": ("经办人", "By"),
    "requests.act": ("处理", "Act"),
    "requests.back": ("返回请求列表", "Back to the queue"),
    "requests.overdue_only": ("只看已超期", "Overdue only"),
    "requests.is_overdue": ("已超期", "overdue"),
    "requests.provisional": ("暂定", "provisional"),
    "requests.paused": ("已暂停计时", "clock paused"),
    "requests.intake": ("代为受理请求", "Take a request in"),
    "requests.open": ("受理", "Open"),
    "requests.opened": ("请求已受理。", "The request was taken in."),
    "requests.verify_in_person": ("已当面核验身份证件", "Identity checked in person"),
    "requests.send_code": ("发送验证码", "Send a code"),
    "requests.code": ("验证码", "Code"),
    "requests.verify_code": ("核对验证码", "Check the code"),
    "requests.reason_or_note": ("理由或处理说明", "Reason or note"),
    "requests.pause": ("暂停计时", "Pause"),
    "requests.resume": ("恢复计时", "Resume"),
    "requests.extend": ("延长期限", "Extend"),
    "requests.refuse": ("拒绝", "Refuse"),
    "requests.complete": ("办结", "Complete"),
    "requests.done.send_code": ("验证码已排队发送。", "The code is on its way."),
    "requests.done.verify_code": ("身份已核验。", "Identity verified."),
    "requests.done.verify_in_person": ("身份已核验。", "Identity verified."),
    "requests.done.pause": ("已暂停计时。", "The clock is paused."),
    "requests.done.resume": ("已恢复计时。", "The clock runs again."),
    "requests.done.extend": ("期限已延长，已通知请求人。", "Extended; the requester is told."),
    "requests.done.refuse": ("已拒绝，已告知理由及救济途径。", "Refused; the reason and remedy are sent."),
    "requests.done.complete": ("已办结。", "Completed."),
    "audit.outcome": ("结果", "Outcome"),
    "audit.outcome_allow": ("允许", "allowed"),
    "audit.outcome_deny": ("拒绝", "refused"),
    "audit.export": ("导出", "Export"),
    "audit.export_csv": ("导出 CSV", "Export CSV"),
    "audit.export_jsonl": ("导出 JSON Lines", "Export JSON Lines"),
    "audit.evidence": ("证据", "Evidence"),
    "audit.from_seq": ("起始序号", "From seq"),
    "audit.to_seq": ("截止序号", "To seq"),
    "audit.newest_first": ("最新的在前。", "Newest first."),
    "audit.older": ("更早的记录", "Older entries"),
    "audit.system": ("系统", "system"),
    "audit.anonymous": ("匿名", "anonymous"),
    "alerts.evidence": ("查看证据", "See the evidence"),
    "alerts.by": ("处理人", "Handled by"),
    "clients.expires": ("密钥到期", "Key expires"),
    "clients.no_expiry": ("永不过期", "never"),
    "users.reset_done": (
        "已重置。以下一次性凭据只显示这一次；该用户下次登录时必须设置新的凭据：",
        "Reset. The one-time credential below is shown this once; the user must set a new one at next login:",
    ),
    "users.must_reset": ("待重设凭据", "must set new credentials"),
    "users.reset": ("重置凭据", "Reset credentials"),
    "users.one_time_password": ("一次性密码", "One-time password"),
    "users.one_time_expires": ("有效期至", "Valid until"),
    "users.reset_where": ("请让该用户打开此页面完成设置：", "The user completes it on this page:"),
    "reset.title": ("设置新凭据", "Set new credentials"),
    "reset.help": (
        "管理员已重置您的凭据。请设置新密码（至少 12 个字符）；如重置了 TOTP，请用新的密钥完成绑定。",
        "An administrator reset your credentials. Choose a new password (at least 12 characters); "
        "if your TOTP was reset, enrol the new secret.",
    ),
    "reset.new_password": ("新密码", "New password"),
    "reset.repeat": ("再次输入新密码", "Repeat the new password"),
    "reset.totp_secret": ("新的 TOTP 密钥", "New TOTP secret"),
    "reset.totp_code": ("新密钥生成的动态码", "A code from the new secret"),
    "reset.submit": ("保存", "Save"),
    "reset.mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "reset.done": ("新凭据已保存，请重新登录。", "New credentials saved: sign in again."),
    "reset.one_time": ("管理员提供的一次性密码", "One-time password from your administrator"),
    "reset.continue": ("继续", "Continue"),
    "reset.enrol_help": (
        "请在身份验证器应用中添加以下密钥（或扫描二维码），然后输入它显示的动态码。此密钥只显示这一次。",
        "Add this secret to your authenticator app (or scan the QR code), then enter the code it shows. "
        "The secret is shown this once.",
    ),
    "reset.expires": ("请在此时间前完成：", "Finish before:"),
    "reset.link": ("管理员重置了凭据？设置新凭据", "Credentials reset by an administrator? Set new ones"),
    "reset.failed": (
        "用户名或一次性密码错误，或一次性密码已过期或已使用。",
        "Invalid user name or one-time password, or it expired or was used.",
    ),
    "reset.expired": (
        "此次重置已过期或已完成，请联系管理员重新获取一次性密码。",
        "This reset expired or was used: ask an administrator for a new one-time password.",
    ),
    "reset.weak": ("新密码至少需要 12 个字符。", "The new password needs at least 12 characters."),
    "reset.bad_code": (
        "动态码错误，请输入新密钥显示的动态码。",
        "Wrong code: enter a code the new secret shows.",
    ),
    # Refusals by message code (AccessDenied.key); {placeholders} are filled from its params,
    # role/purpose/action/record_type/field params in the console language.
    "error.forbidden": ("操作被拒绝：您的角色无权执行此操作。", "Refused: your role may not do this."),
    "error.unauthenticated": ("身份验证失败。", "Authentication failed."),
    "error.legal_hold": (
        "该客户处于法律保全（{hold}）之下：保全解除前不得删除或销毁其任何数据。",
        "The customer is under legal hold {hold}: nothing of theirs may be destroyed until it is released.",
    ),
    "error.quota": ("已超出访问限额，请稍后再试。", "Quota exceeded: try again later."),
    "error.consent": (
        "缺少客户的同意，无法为此目的处理。",
        "The customer's consent for this purpose is missing.",
    ),
    "error.validation": ("输入无效：{field}", "Invalid input: {field}"),
    "error.validation_plain": ("输入无效。", "Invalid input."),
    "error.not_found": ("未找到所请求的对象。", "Not found."),
    "error.conflict": ("对象已存在或已被修改。", "It already exists or changed meanwhile."),
    "error.error": ("操作失败。", "The operation failed."),
    "error.page_forbidden": ("角色「{role}」无权打开此页面。", "Role '{role}' may not open this page."),
    "error.unknown_action": ("未知的动作「{action}」。", "Unknown action '{action}'."),
    "error.unknown_purpose": ("未知的处理目的「{purpose}」。", "Unknown purpose '{purpose}'."),
    "error.unknown_role": ("角色「{role}」不在目录中。", "Role '{role}' is not in the catalog."),
    "error.role_action": ("角色「{role}」无权执行「{action}」。", "Role '{role}' may not {action}."),
    "error.role_purpose": (
        "角色「{role}」不能为「{purpose}」这一目的处理个人信息。",
        "Role '{role}' may not act for purpose '{purpose}'.",
    ),
    "error.needs_purpose": ("此操作必须说明处理目的。", "This operation needs a purpose."),
    "error.own_scope": ("角色「{role}」只能查看本人的数据。", "Role '{role}' sees its own data only."),
    "error.out_of_scope": ("此客户不在您的服务范围内。", "This customer is outside your scope."),
    "error.check_in_mismatch": (
        "证件号码与登记信息不符（还可尝试 {left} 次，之后须由值班经理审批入住）。",
        "The ID number does not match the record ({left} attempt(s) left, then a duty manager must approve).",
    ),
    "error.check_in_locked": (
        "多次证件号码不符，此客人的证件核验入住已锁定：请申请值班经理审批入住。",
        "Check-in by ID number is locked for this guest after repeated mismatches: "
        "ask a duty manager to approve.",
    ),
    "error.check_in_approval": (
        "这不是您名下已批准的此客人入住审批：请先申请，并由另一人审批。",
        "Not an approved check-in grant of yours for this guest: "
        "request one and have another person approve it.",
    ),
    "error.login_failed": ("用户名、密码或动态验证码错误。", "Invalid user name, password or TOTP code."),
    "error.step_up_failed": ("动态验证码错误或已被使用。", "Wrong or already used TOTP code."),
    "error.self_reset": (
        "不能用此方式重置自己的凭据，请另一位管理员操作。",
        "You cannot reset your own credentials this way: ask another administrator.",
    ),
    "error.reset_bootstrap": (
        "初始管理员凭据既不能重置他人，也不能被重置，请由具名管理员操作。",
        "The bootstrap credential neither resets nor is reset: a named administrator must do it.",
    ),
    "error.reset_oversight": (
        "角色「{role}」负责审批或审计，您的角色无权重置其凭据。",
        "Role '{role}' approves or audits, which your role may not: you cannot reset its credentials.",
    ),
}

#: Names of the system's own vocabulary, per kind, when the catalog declares no label:
#: roles and record types of the shipped catalogs, statuses, outcomes, severities, alert rules
#: and audit actions. ``term(kind, name)`` looks here after the catalog.
TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "bootstrap-admin": ("初始管理员", "bootstrap administrator"),
        "system": ("系统", "system"),
        "data_subject": ("客户本人", "the customer"),
        "privacy_sign_in": ("隐私中心登录", "privacy centre sign-in"),
        "notifier": ("通知发送方", "notification sender"),
        "admin": ("系统管理员", "administrator"),
        "officer": ("个人信息保护负责人", "PI protection officer"),
        "customer_service": ("客服", "customer service"),
        "finance": ("财务", "finance"),
        "marketing": ("市场营销", "marketing"),
        "front_desk": ("前台", "front desk"),
        "it_dba": ("数据库管理员", "database administrator"),
        "sharing_officer": ("数据共享专员", "data-sharing officer"),
        "auditor": ("审计员", "auditor"),
        "account_manager": ("客户经理", "account manager"),
        "agent": ("坐席", "agent"),
        "aml_analyst": ("反洗钱分析员", "AML analyst"),
        "duty_manager": ("值班经理", "duty manager"),
        "housekeeping": ("客房服务", "housekeeping"),
        "outbound_marketing": ("外呼营销", "outbound marketing"),
        "quality_inspector": ("质检员", "quality inspector"),
        "supervisor": ("班组长", "supervisor"),
        "teller": ("柜员", "teller"),
        "warehouse": ("仓储", "warehouse"),
    },
    "record_type": {
        "customer": ("客户资料", "customer profile"),
        "order": ("订单", "order"),
        "service_note": ("服务备注", "service note"),
        "hotel_stay": ("住宿登记", "hotel stay"),
        "bank_account": ("银行账户", "bank account"),
        "bank_card": ("银行卡", "bank card"),
        "bank_transaction": ("银行交易", "bank transaction"),
        "ticket": ("工单", "ticket"),
    },
    # Purposes the system itself acts for (catalog purposes are named by the catalog).
    "purpose": {"audit": ("审计", "audit")},
    "status": {
        "active": ("正常", "active"),
        "disabled": ("已停用", "disabled"),
        "frozen": ("已冻结", "frozen"),
        "reset": ("待重设凭据", "must set new credentials"),
        "revoked": ("已吊销", "revoked"),
        "pending": ("待审批", "pending"),
        "approved": ("已批准", "approved"),
        "rejected": ("已拒绝", "rejected"),
        "used": ("已使用", "used"),
        "expired": ("已过期", "expired"),
        "open": ("未处理", "open"),
        "acknowledged": ("已确认", "acknowledged"),
    },
    "case_status": {
        "received": ("已受理", "received"),
        "verified": ("身份已核验", "verified"),
        "paused": ("已暂停", "paused"),
        "completed": ("已办结", "completed"),
        "refused": ("已拒绝", "refused"),
    },
    "request_type": {
        "access": ("查阅复制", "access and copy"),
        "portability": ("转移个人信息", "portability"),
        "correction": ("更正补充", "correction"),
        "deletion": ("删除", "deletion"),
        "explanation": ("解释说明处理规则", "explanation"),
        "restriction": ("限制或拒绝处理", "restriction"),
        "withdrawal": ("撤回同意", "consent withdrawal"),
        "marketing_optout": ("拒绝营销与个性化推荐", "marketing opt-out"),
        "account_closure": ("注销账户", "account closure"),
        "complaint": ("投诉举报", "complaint"),
    },
    "channel": {
        "web": ("网站/应用", "web"),
        "phone": ("电话", "phone"),
        "counter": ("柜台", "counter"),
        "letter": ("信函", "letter"),
        "email": ("电子邮件", "email"),
    },
    "relation": {
        "self": ("本人", "the customer"),
        "guardian": ("监护人", "guardian"),
        "relative": ("近亲属", "close relative"),
    },
    "relationship": {
        "spouse": ("配偶", "spouse"),
        "parent": ("父母", "parent"),
        "child": ("子女", "child"),
        "sibling": ("兄弟姐妹", "sibling"),
        "grandparent": ("祖父母、外祖父母", "grandparent"),
        "grandchild": ("孙子女、外孙子女", "grandchild"),
        "legal_guardian": ("其他法定监护人", "legal guardian"),
    },
    "verification": {
        "code": ("验证码", "one-time code"),
        "code+stated": ("验证码及所述信息核对一致", "one-time code and stated details matched"),
        "in_person": ("当面核验", "in person"),
    },
    "case_outcome": {
        "erased": ("已删除", "erased"),
        "explained": ("已解释说明", "explained"),
        "handled": ("已处理", "handled"),
        "refused": ("已拒绝", "refused"),
        "sent": ("副本已发送", "copy sent"),
        "restricted": ("已限制处理", "restricted"),
        "withdrawn": ("已撤回同意", "consent withdrawn"),
        "opted_out": ("已退出营销", "opted out"),
        "storage_only": (
            "已删除可删部分，其余仅存储保护",
            "erased where allowed; the rest kept for storage only",
        ),
        "corrected": ("已更正", "corrected"),
        "refused_in_writing": ("已书面拒绝", "refused in writing"),
    },
    "case_event": {
        "opened": ("受理", "opened"),
        "code_sent": ("发送验证码", "code sent"),
        "verified": ("身份核验通过", "verified"),
        "verify_failed": ("身份核验未通过", "verification failed"),
        "paused": ("暂停计时", "paused"),
        "resumed": ("恢复计时", "resumed"),
        "extended": ("延长期限", "extended"),
        "refused": ("拒绝", "refused"),
        "completed": ("办结", "completed"),
    },
    "outcome": {
        "allow": ("允许", "allow"),
        "deny": ("拒绝", "deny"),
        "ok": ("成功", "ok"),
        "denied": ("被拒绝", "denied"),
        "failed": ("失败", "failed"),
        "error": ("出错", "error"),
        "not_found": ("未找到", "not found"),
        "partial": ("部分完成", "partial"),
    },
    "severity": {
        "low": ("低", "low"),
        "medium": ("中", "medium"),
        "high": ("高", "high"),
        "critical": ("严重", "critical"),
    },
    "alert_rule": {
        "mass_access": ("大量访问客户", "mass access"),
        "off_hours": ("非工作时间操作", "off-hours activity"),
        "failed_logins": ("多次登录失败", "failed logins"),
        "failed_check_ins": ("多次入住证件核验不符", "failed check-ins"),
        "export_spike": ("导出量激增", "export spike"),
        "sensitive_subject": ("访问受关注客户", "flagged customer accessed"),
        "disabled_principal": ("已停用账号的操作", "disabled account active"),
        "undelivered_message": ("消息未能送达", "message not delivered"),
        "rights_deadline": ("个人权利请求临近或超过期限", "rights requests due or overdue"),
        "compliance_audit_due": ("合规审计即将到期或已超期", "compliance audit due or overdue"),
        "incident_deadline": ("安全事件报告临近或超过时限", "incident reports due or overdue"),
        "partner_assessment_expired": ("合作方安全评估已过期", "partner's security assessment expired"),
        "masked_probing": ("对掩码字段的反复试探", "probing of a masked field"),
        "masked_enumeration": ("穷举掩码字段（账号已冻结）", "enumeration of a masked field (frozen)"),
    },
    "audit_action": {
        "read": ("查看", "read"),
        "search": ("查询", "search"),
        "match": ("核对信息是否一致", "match check"),
        "list": ("列表", "list"),
        "alert": ("触发告警", "alert raised"),
        "audit_prune": ("清理过期审计记录", "audit entries pruned"),
        "create": ("录入", "create"),
        "update": ("修改", "update"),
        "erase": ("删除", "erase"),
        "export": ("导出", "export"),
        "export_row": ("导出一行", "export row"),
        "import": ("导入", "import"),
        "import_summary": ("导入汇总", "import summary"),
        "login": ("登录", "login"),
        "logout": ("退出登录", "logout"),
        "step_up": ("二次验证", "step-up"),
        "grant_request": ("申请查看明文", "grant request"),
        "grant_decide": ("审批决定", "grant decision"),
        "grant_revoke": ("撤销授权", "grant revoke"),
        "user_add": ("新增用户", "user added"),
        "user_unlock": ("解锁用户", "user unlocked"),
        "user_reset": ("重置用户凭据", "user credentials reset"),
        "principal_approve": ("复核开通账号", "account approved by a second person"),
        "credentials_set": ("设置新凭据", "new credentials set"),
        "reset_begin": ("使用一次性密码", "one-time password used"),
        "principal_disable": ("停用账号", "account disabled"),
        "principal_enable": ("启用账号", "account enabled"),
        "client_add": ("新增客户端", "client added"),
        "client_revoke": ("吊销客户端", "client revoked"),
        "training_record": ("登记培训", "training recorded"),
        "administer_check": ("管理权限检查", "administer check"),
        "audit_query": ("查询审计日志", "audit query"),
        "audit_verify": ("校验审计日志", "audit verify"),
        "audit_export": ("导出审计日志", "audit export"),
        "audit_archive": ("归档审计日志", "audit archive"),
        "audit_history": ("客户访问记录", "customer access history"),
        "own_access_history": ("本人访问记录", "own access history"),
        "audit_ref": ("客户审计引用", "customer audit reference"),
        "audit_checkpoint": ("签署检查点", "checkpoint signed"),
        "audit_public_key": ("查看签名公钥", "signing key read"),
        "audit_dashboard": ("仪表盘统计", "dashboard figures"),
        "alerts_list": ("查看告警", "alerts listed"),
        "alert_ack": ("确认告警", "alert acknowledged"),
        "checkpoint": ("检查点", "checkpoint"),
        "consent_grant": ("记录同意", "consent given"),
        "consent_refuse": ("记录拒绝", "consent refused"),
        "consent_withdraw": ("撤回同意", "consent withdrawn"),
        "consent_show": ("查看同意", "consent shown"),
        "marketing_set": ("设置营销偏好", "marketing preference set"),
        "marketing_show": ("查看营销偏好", "marketing preference shown"),
        "minors_reevaluate": ("重新评估未成年人", "minors re-evaluated"),
        "outbox_deliver": ("发送客户消息", "message to a customer sent"),
        "outbox_deliver_to": ("发送合作方通知", "notice to a partner sent"),
        "outbox_list": ("查看消息发送状态", "outbox listed"),
        "rights_open": ("受理个人权利请求", "rights request taken in"),
        "rights_show": ("查看权利请求", "rights request shown"),
        "rights_list": ("查看权利请求列表", "rights requests listed"),
        "rights_send_code": ("发送身份验证码", "verification code sent"),
        "rights_verify": ("核验请求人身份", "requester verified"),
        "rights_pause": ("暂停请求计时", "request clock paused"),
        "rights_resume": ("恢复请求计时", "request clock resumed"),
        "rights_extend": ("延长请求期限", "request deadline extended"),
        "rights_refuse": ("拒绝权利请求", "rights request refused"),
        "rights_complete": ("办结权利请求", "rights request completed"),
        "reindex": ("重建检索索引", "search index rebuilt"),
        "stay_register": ("登记住宿", "stay registered"),
        "stay_check_in": ("办理入住", "stay checked in"),
        "stay_check_out": ("办理退房", "stay checked out"),
        "rights_correct": ("按请求更正个人信息", "personal information corrected on request"),
        "hold_place": ("设置法律保全", "legal hold placed"),
        "hold_release": ("解除法律保全", "legal hold released"),
        "hold_show": ("查看法律保全", "legal hold viewed"),
        "hold_list": ("查询法律保全", "legal holds listed"),
        "destruction_list": ("查询销毁记录", "destruction records listed"),
        "destruction_export": ("导出销毁记录", "destruction record exported"),
        "destruction_check": ("核验并签署销毁记录", "destruction records verified and signed"),
        "account_close": ("登记客户关系终止", "customer relationship ended"),
        "retention_plan": ("预览保存期限到期处理", "retention plan"),
        "retention_run": ("执行保存期限到期处理", "retention run"),
        "retention_apply": ("删除到期个人信息", "expired personal information erased"),
        "inactive_notify": ("发送长期未使用账户提醒", "inactive account notified"),
        "retention_event": ("登记合同终止或处理目的已实现", "contract end or purpose fulfilled recorded"),
        "retention_queue": ("到期个人信息转入人工复核", "expired personal information queued for review"),
        "retention_reviews": ("查看到期复核事项", "retention reviews"),
        "retention_decide": ("作出到期复核决定", "retention review decided"),
        "retention_statistics": ("查看匿名化统计", "anonymised statistics"),
        "inactive_close": ("注销长期未使用账户", "inactive account closed"),
        "backup_create": ("创建加密备份", "encrypted backup created"),
        "backup_verify": ("校验备份并试恢复", "backup verified by a trial restore"),
        "backup_restore": ("从备份恢复并重放删除记录", "restored from a backup, erasures replayed"),
        "backup_list": ("查看备份", "backups listed"),
        "erasure_ledger": ("导出删除台账", "erasure ledger read"),
        "rights_letter": ("出具书面告知书", "written notice issued"),
        "rights_instruct": ("记录逝者关于近亲属行权的安排", "deceased's arrangement for relatives recorded"),
        "rights_clock": ("计算请求期限", "request deadlines computed"),
        "rights_package": ("生成个人信息副本", "copy of own data prepared"),
        "rights_package_download": ("下载个人信息副本", "copy of own data downloaded"),
        "privacy_sign_in": ("隐私中心登录：发送验证码", "privacy centre sign-in code requested"),
        "privacy_sign_in_verify": ("隐私中心登录：核验验证码", "privacy centre sign-in code checked"),
        "privacy_profile": ("隐私中心查看本人信息（脱敏）", "own data viewed in the privacy centre (masked)"),
        "privacy_reveal_code": ("隐私中心显示前再次验证", "step-up code before showing a field"),
        "privacy_reveal": ("隐私中心显示单项信息", "one field shown in the privacy centre"),
        "privacy_sign_out": ("隐私中心退出登录", "privacy centre signed out"),
        "privacy_recipients": ("隐私中心查看接收方", "recipients viewed in the privacy centre"),
        "privacy_package_code": ("隐私中心下载副本验证码", "privacy centre code before a copy's download"),
        "privacy_package": ("隐私中心下载副本", "a request's copy downloaded in the privacy centre"),
        "privacy_guardian": ("隐私中心核对监护人身份", "the guardian's identity on record looked up"),
        "privacy_ready": ("隐私中心查看待下载副本", "copies waiting for download listed"),
        "notice_list": ("查看隐私告知", "notices listed"),
        "notice_publish": ("发布隐私告知", "notice published"),
        "key_rotate": ("轮换密钥", "key rotated"),
        "key_retire": ("停用旧密钥", "key retired"),
        "key_status": ("查看密钥状态", "key status"),
        "compliance_check": ("运行合规检查", "compliance checks run"),
        "compliance_ropa": ("生成个人信息处理活动记录", "record of processing generated"),
        "compliance_report": ("生成合规报告", "compliance report generated"),
        "compliance_reports": ("查看合规报告列表", "compliance reports listed"),
        "compliance_bundle": ("导出审计证据包", "evidence bundle exported"),
        "compliance_governance": ("查看治理记录", "governance records viewed"),
        "compliance_officer_set": ("指定个人信息保护负责人", "PI protection officer named"),
        "compliance_policy_publish": ("发布内部制度", "internal policy published"),
        "compliance_audit_record": ("登记合规审计", "compliance audit recorded"),
        "compliance_schedule": ("计算合规审计计划", "compliance audit schedule computed"),
        "incident_open": ("登记安全事件", "incident opened"),
        "incident_update": ("更新安全事件", "incident updated"),
        "incident_show": ("查看安全事件", "incident viewed"),
        "incident_list": ("查询安全事件登记簿", "incident register listed"),
        "incident_scope": ("依审计记录计算受影响客户", "affected customers computed from the audit trail"),
        "incident_grade": ("安全事件定级", "incident graded"),
        "incident_notify": ("安全事件报告与告知", "incident report or notice"),
        "incident_contain": ("安全事件处置：冻结账号", "incident containment: account frozen"),
        "incident_close": ("安全事件处置结束", "incident closed"),
        "incident_clock": ("计算安全事件报告时限", "incident deadlines computed"),
        "incident_plan": ("发布应急预案", "emergency plan published"),
        "incident_drill": ("登记应急演练", "emergency drill recorded"),
        "incident_drills": ("查看应急预案与演练", "emergency plan and drills viewed"),
        "partner_add": ("登记合作方", "partner registered"),
        "partner_list": ("查看合作方", "partners listed"),
        "agreement_add": ("登记数据处理协议", "data agreement recorded"),
        "agreement_list": ("查看数据处理协议", "data agreements listed"),
        "agreement_end": ("终止数据处理协议", "data agreement ended"),
        "agreement_suspend": ("暂停数据处理协议", "data agreement suspended"),
        "assessment_add": ("登记个人信息保护影响评估", "impact assessment recorded"),
        "assessment_list": ("查看个人信息保护影响评估", "impact assessments listed"),
        "share": ("向合作方提供个人信息", "personal information shared with a partner"),
        "share_row": ("提供一名客户的个人信息", "one customer's information shared"),
        "extract": ("生成匿名化数据集", "anonymised extract made"),
        "extract_row": ("读取客户信息用于匿名化", "customer read for an anonymised extract"),
        "disclose": ("公开个人信息", "personal information disclosed publicly"),
        "disclose_row": ("公开一名客户的个人信息", "one customer's information disclosed publicly"),
        "share_request": ("申请对外提供", "share requested"),
        "share_decide": ("审批对外提供申请", "share request decided"),
        "share_request_list": ("查看对外提供申请", "share requests listed"),
        "transfer_list": ("查看对外提供记录", "transfer log listed"),
        "deletion_notice_list": ("查看合作方删除通知", "partner deletion notices listed"),
        "deletion_notice_ack": ("登记合作方删除确认", "partner deletion acknowledged"),
    },
}

#: Alert summaries per rule, filled from the alert's ``detail``; unknown rules get a generic one.
ALERT_SUMMARIES: dict[str, tuple[str, str]] = {
    "mass_access": ("短时间内访问了 {customers} 位不同客户", "{customers} distinct customers accessed"),
    "off_hours": (
        "非工作时间的操作（北京时间 {local_time}）",
        "activity outside working hours ({local_time})",
    ),
    "failed_logins": ("短时间内 {count} 次登录失败", "{count} failed logins"),
    "failed_check_ins": (
        "一小时内 {count} 次入住证件号码核验不符",
        "{count} check-ins refused for a mismatched ID number within an hour",
    ),
    "export_spike": ("短时间内 {count} 次导出，共 {rows} 行", "{count} exports, {rows} rows"),
    "sensitive_subject": ("访问了带有关注标记的客户", "a flagged customer was accessed"),
    "disabled_principal": ("已停用的账号尝试操作", "an attempt by a disabled account"),
    "undelivered_message": (
        "一条客户消息多次发送失败，请通过其他方式联系客户",
        "a message to a customer could not be delivered",
    ),
    "partner_assessment_expired": (
        "一次对外提供被拒绝：合作方安全评估已过期，请续评或停止合作",
        "a share was refused: the partner's security assessment has expired",
    ),
    "rights_deadline": (
        "{overdue} 件请求已超期，{nearly_due} 件即将到期，{provisional_cases} 件期限为暂定",
        "{overdue} requests overdue, {nearly_due} nearly due, {provisional_cases} with a provisional date",
    ),
    "compliance_audit_due": (
        "{overdue} 项合规审计已超期，{due_soon} 项即将到期",
        "{overdue} compliance audits overdue, {due_soon} due soon",
    ),
    "incident_deadline": (
        "{overdue} 项事件报告已超时，{due_now} 项应立即报告，{nearly_due} 项即将到期",
        "{overdue} incident reports overdue, {due_now} due now, {nearly_due} nearly due",
    ),
    "masked_probing": (
        "一小时内对掩码字段 {field} 的精确查询或核对未命中 {misses} 次",
        "{misses} missed exact searches or match checks on masked field {field} within the hour",
    ),
    "masked_enumeration": (
        "一小时内对掩码字段 {field} 未命中 {misses} 次，疑似穷举，账号已冻结",
        "{misses} misses on masked field {field} within the hour: enumeration, account frozen",
    ),
}


def translator(lang: str) -> Callable[[str], str]:
    """A function from message key to the text in ``lang`` (Chinese for unknown languages)."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return t


def term(kind: str, name: str | None, lang: str, catalog: Any | None = None) -> str:
    """The name of ``name`` (a role, purpose, record type, status, outcome, severity, alert rule or
    audit action) in ``lang``: the catalog's label first, then :data:`TERMS`, else ``name``.

    Purposes are named by their catalog description; roles and record types by an optional
    ``label`` the catalog may declare (``roles.<name>.label``), else the table here.
    """
    if not name:
        return ""
    if catalog is not None:
        found: Any = None
        if kind == "purpose":
            found = getattr(catalog, "purposes", {}).get(name)
            labels = getattr(found, "description", None)
        elif kind == "role":
            found = getattr(catalog, "roles", {}).get(name)
            labels = getattr(found, "label", None)
        elif kind == "record_type":
            found = getattr(catalog, "record_types", {}).get(name)
            labels = getattr(found, "label", None)
        else:
            labels = None
        if labels is not None:
            return label(labels, lang, name)
    if kind == "action":
        pair = MESSAGES.get(f"action.{name}")
    else:
        pair = TERMS.get(kind, {}).get(name)
    if pair is None:
        return name
    return pair[1 if lang == "en" else 0]


def has_term(kind: str, name: str) -> bool:
    """Whether :func:`term` names ``name`` from the table (not by echoing it)."""
    return name in TERMS.get(kind, {}) or (kind == "action" and f"action.{name}" in MESSAGES)


def when(value: datetime | str | None, lang: str, *, seconds: bool = False) -> str:
    """An instant in Beijing time with the zone: ``2026-12-02 21:40 (UTC+8)`` / ``… 北京时间``.

    Accepts a timezone-aware datetime or an ISO 8601 text (the trail's ``…Z`` included); an
    empty value is ``—``. A naive datetime is taken as UTC (the stores keep UTC).
    """
    if value is None or value == "":
        return MESSAGES["value.empty"][0]
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL_TZ)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} 北京时间" if lang == "zh" else f"{text} (UTC+8)"


def _fill(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with its ``{name}`` fields from ``params`` (missing ones left empty)."""
    names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    return template.format(**{n: str(params.get(n, "")) for n in names})


#: Parameters whose values are vocabulary, shown in the console language.
_TERM_PARAMS = {"role": "role", "purpose": "purpose", "action": "action", "record_type": "record_type"}


def error_text(exc: BaseException, lang: str, catalog: Any | None = None) -> str:
    """What to tell the user about ``exc`` in ``lang``.

    A refusal carrying a message code (``exc.key``, with ``exc.params``) is said from
    ``error.<key>``; any other error by its class (``exc.code``), with the field named for a
    validation error. English keeps the original message, which says more; Chinese never shows
    an English sentence.
    """
    key = getattr(exc, "key", None)
    params: dict[str, Any] = dict(getattr(exc, "params", None) or {})
    index = 1 if lang == "en" else 0
    if isinstance(key, str) and f"error.{key}" in MESSAGES:
        for name, kind in _TERM_PARAMS.items():
            if name in params:
                params[name] = term(kind, str(params[name]), lang, catalog)
        return _fill(MESSAGES[f"error.{key}"][index], params)
    if lang == "en":
        return str(exc)
    code = str(getattr(exc, "code", "error"))
    if code == "validation":
        field = getattr(exc, "field", None)
        if field:
            return _fill(MESSAGES["error.validation"][0], {"field": field})
        return MESSAGES["error.validation_plain"][0]
    pair = MESSAGES.get(f"error.{code}") or MESSAGES["error.error"]
    return pair[0]


def alert_summary(rule: str, detail: Mapping[str, Any], summary: str, lang: str) -> str:
    """An alert's summary in ``lang``, from its rule and detail (the stored text is English)."""
    pair = ALERT_SUMMARIES.get(rule)
    if pair is None:
        if lang == "en":
            return summary
        return f"规则「{term('alert_rule', rule, lang)}」触发告警"
    return _fill(pair[1 if lang == "en" else 0], detail)


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
