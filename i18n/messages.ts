// The message catalogue: every sentence the app says to a person, by a stable code, in Chinese
// (the default) and English. Pure data and string building, so the web app, the CLI, the domain
// and the workflows (whose refusals carry the code to the web layer) all import it; no zod here,
// as workflow code loads it at creation (i18n/refusals.ts checks what arrives).
// How to add a message: docs/web-and-api.md, "Messages".
export type Locale = 'zh-CN' | 'en';

interface Entry<P> {
  zh: (p: P) => string;
  en: (p: P) => string;
}
const m = <P extends object = Record<string, never>>(zh: (p: P) => string, en: (p: P) => string): Entry<P> => ({
  zh,
  en,
});

type S = string;
type N = number;

// ------------------------------------------------------------------ words used inside messages

/** Obligation statuses, as lists, CSV files and refusals name them. */
export const statusWords: Record<string, { zh: string; en: string }> = {
  open: { zh: '进行中', en: 'open' },
  submitted: { zh: '待审核', en: 'submitted' },
  overdue: { zh: '已逾期', en: 'overdue' },
  met: { zh: '按期完成', en: 'met' },
  'met-late': { zh: '逾期完成', en: 'met late' },
  waived: { zh: '已豁免', en: 'waived' },
  unmet: { zh: '未完成（已关闭）', en: 'unmet' },
};

export const evidenceStateWords: Record<string, { zh: string; en: string }> = {
  pending: { zh: '待审核', en: 'pending' },
  accepted: { zh: '已通过', en: 'accepted' },
  rejected: { zh: '已退回', en: 'rejected' },
};

export const deliveryStateWords: Record<string, { zh: string; en: string }> = {
  queued: { zh: '排队', en: 'queued' },
  sent: { zh: '已发送', en: 'sent' },
  accepted: { zh: '服务器已接收', en: 'accepted by the server' },
  replayed: { zh: '已确认（未重复发送）', en: 'found in the sent ledger, not sent again' },
  failed: { zh: '失败', en: 'failed' },
};

export const roleWords: Record<string, { zh: string; en: string }> = {
  office: { zh: '办公室', en: 'office' },
  assignee: { zh: '责任单位', en: 'assignee' },
  supervisor: { zh: '监督', en: 'supervisor' },
  team: { zh: '检查组', en: 'inspection team' },
  system: { zh: '系统', en: 'system' },
};

/**
 * What a refused user or actor tried to do, keyed by the English words the web app and the
 * workflows name it with (`requireRole(u, roles, 'review evidence')`).
 */
export const actionWords: Record<string, string> = {
  'review evidence': '审核材料',
  'extend a deadline': '延期',
  'extend the deadline': '延期',
  'correct a due date': '更正截止日期',
  'correct the due date': '更正截止日期',
  'acknowledge a letter': '签收函件',
  'list the letters awaiting acknowledgement': '查看待签收函件',
  'waive an obligation': '豁免任务',
  waive: '豁免任务',
  'submit evidence': '提交佐证材料',
  'accept evidence': '接收佐证材料',
  'launch a campaign': '下达行动方案',
  'launch campaigns': '下达行动方案',
  'list campaigns': '查看行动方案',
  'read the scoreboard': '查看记分板',
  'read obligations': '查看任务',
  'change the problem': '更改该问题',
  'record, assign or verify problems': '登记、交办或核查问题',
  'act for the problem’s city': '提交整改方案、整改材料或举一反三（只有该问题的责任单位可以）',
  'change an obligation': '更改任务',
  'assign the problem': '交办问题',
  'assign a problem': '交办问题',
  'accept a 整改方案': '接收整改方案',
  'submit its 整改方案': '提交整改方案',
  verify: '核查',
  'verify a rectification': '核查整改',
  'accept a 举一反三 report': '接收举一反三报告',
  'report 举一反三': '报告举一反三',
};

const word = (table: Record<string, { zh: string }>, k: string) => table[k]?.zh ?? k;
const action = (a: string) => actionWords[a] ?? '执行此操作';
const role = (r: string) => roleWords[r]?.zh ?? r;
const status = (s: string) => word(statusWords, s);

// ------------------------------------------------------------------ the catalogue

export const messages = {
  // --- requests the server cannot take
  bad_request: m<{ detail: S }>(
    () => '请求不符合要求，请检查后重试。',
    (p) => p.detail,
  ),
  invalid_field: m<{ field: S; detail: S }>(
    (p) => `字段「${p.field}」不符合要求，请检查后重试。`,
    (p) => `${p.field}: ${p.detail}`,
  ),
  unknown_field: m<{ field: S }>(
    (p) => `不接受字段「${p.field}」，请删去后重试。`,
    (p) => `unknown property ${p.field}`,
  ),
  missing_field: m<{ field: S }>(
    (p) => `缺少必填字段「${p.field}」。`,
    (p) => `${p.field} is required`,
  ),
  unsupported_media_type: m<{ type: S }>(
    (p) => `不接受此类型的请求内容（${p.type}）。`,
    (p) => `content type ${p.type} is not accepted here`,
  ),
  body_too_large: m(
    () => '请求内容超过大小限制。',
    () => 'the body is larger than the limit',
  ),
  method_not_allowed: m<{ method: S; path: S; allowed: S }>(
    (p) => `地址 ${p.path} 不支持 ${p.method} 请求（支持：${p.allowed}）。`,
    (p) => `${p.method} is not allowed on ${p.path}; allowed: ${p.allowed}`,
  ),
  route_not_found: m<{ method: S; path: S }>(
    (p) => `接口不存在：${p.method} ${p.path}`,
    (p) => `no route ${p.method} ${p.path}`,
  ),
  page_not_found: m(
    () => '页面不存在：请检查地址，或从首页进入。',
    () => 'no such page',
  ),
  file_not_found: m(
    () => '文件不存在。',
    () => 'no such file',
  ),
  internal_error: m<{ requestId: S }>(
    (p) => `服务器内部错误（请求编号 ${p.requestId}）。请稍后重试；如仍出错，请把请求编号告知管理员。`,
    (p) => `internal error (request ${p.requestId}); try again later, or give the request id to an administrator`,
  ),
  unavailable_busy: m(
    () =>
      '系统正忙：任务处理程序暂未响应（例如刚下达的行动方案仍在启动任务）。请稍后重试；如刚提交过更改，请先刷新页面查看是否已生效。',
    () => 'the worker is busy; try again in a moment',
  ),
  unavailable_unreachable: m(
    () => '暂时无法连接任务服务（Temporal）。请稍后重试；如持续出现，请告知管理员。',
    () => 'the Temporal server cannot be reached; try again later',
  ),
  unavailable_storage: m(
    () => '文件存储暂时不可用，本次提交未保存任何内容。请稍后重新提交；如持续出现，请告知管理员。',
    () => 'the object store is unavailable; nothing was stored, try again later',
  ),
  unavailable_database: m(
    () => '暂时无法连接数据库（例如数据库正在重启）。请稍后重试；如持续出现，请告知管理员。',
    () => 'the database cannot be reached (restarting?); try again later',
  ),

  // --- who is asking
  unauthorized: m(
    () => '请先登录，或在请求头中发送 Authorization: Bearer <令牌>。',
    () => 'log in or send Authorization: Bearer <token>',
  ),
  token_invalid: m(
    () => 'API 令牌无效，或该用户已停用。',
    () => 'API token invalid or user disabled',
  ),
  session_invalid: m(
    () => '登录状态无效，请重新登录。',
    () => 'session cookie signature is invalid',
  ),
  session_unknown: m(
    () => '登录状态已失效或已退出，请重新登录。',
    () => 'session unknown or logged out',
  ),
  session_expired: m(
    () => '登录已过期，请重新登录。',
    () => 'session expired',
  ),
  user_disabled: m(
    () => '该用户已停用。',
    () => 'user disabled',
  ),
  csrf_invalid: m(
    () => '表单已失效（CSRF 令牌缺失或无效），请刷新页面后重试。',
    () => 'CSRF token missing or invalid',
  ),
  team_unknown: m<{ team: S; file: S }>(
    (p) => `没有检查组 ${p.team}：${p.file} 的 teams 中没有这个 id。`,
    (p) => `no inspection team ${p.team} in ${p.file} (teams)`,
  ),
  forbidden_role: m<{ role: S; action: S }>(
    (p) => `${role(p.role)}用户无权${action(p.action)}。`,
    (p) => `${/^[aeiou]/.test(p.role) ? 'an' : 'a'} ${p.role} may not ${p.action}`,
  ),
  too_many_requests: m<{ seconds: N }>(
    (p) => `登录尝试过于频繁，请 ${p.seconds} 秒后再试。`,
    (p) => `too many login attempts; try again in ${p.seconds} seconds`,
  ),
  login_locked: m<{ minutes: N }>(
    (p) => `该用户名登录失败次数过多，已暂时锁定，请 ${p.minutes} 分钟后再试。`,
    (p) => `too many failed logins for this name; try again in ${p.minutes} minutes`,
  ),

  // --- what is not there (or not the user's to see)
  obligation_not_found: m<{ id: S }>(
    () => '没有该任务，或您无权查看。',
    (p) => `no obligation ${p.id}`,
  ),
  obligation_closed_final: m<{ id: S; status: S }>(
    (p) => `任务已关闭（${status(p.status)}），不能再更改。`,
    (p) => `obligation ${p.id} is closed (${p.status}); nothing can change it`,
  ),
  evidence_not_found: m<{ evidence: S }>(
    (p) => `该任务没有材料 ${p.evidence}。`,
    (p) => `no evidence ${p.evidence}`,
  ),
  problem_file_not_found: m<{ id: S; file: S }>(
    (p) => `问题 ${p.id} 没有文件 ${p.file}。`,
    (p) => `problem ${p.id} has no file ${p.file}`,
  ),
  evidence_not_stored: m<{ evidence: S }>(
    (p) => `材料 ${p.evidence} 的文件不在存储中，请告知管理员。`,
    (p) => `evidence ${p.evidence} is not in the store`,
  ),
  letter_not_found: m<{ notice: S }>(
    () => '该任务没有这份函件。',
    (p) => `no letter ${p.notice} on this obligation`,
  ),
  campaign_not_found: m<{ campaign: S }>(
    (p) => `没有行动方案 ${p.campaign}。`,
    (p) => `unknown campaign ${p.campaign}`,
  ),

  // --- forms and bodies the handlers check
  reason_required: m(
    () => '理由不能为空。',
    () => 'a reason is required; it may not be blank',
  ),
  decision_invalid: m(
    () => '审核结果只能是“通过”或“退回”。',
    () => 'decision must be accept or reject',
  ),
  season_format: m<{ value: S }>(
    (p) => `秋冬季应为四位年份，如 2026，而不是 ${p.value}。`,
    (p) => `the season is a year of four digits, not ${p.value}`,
  ),
  season_outside: m<{ season: N; from: N; to: N }>(
    (p) =>
      `${p.season}–${p.season + 1}年秋冬季不在可下达的范围内：可下达 ${p.from}–${p.to} 年的秋冬季（见 LANTIAN_SEASON_WINDOW）。请检查年份是否输入有误。`,
    (p) => `season ${p.season} is outside the seasons that may be launched now, ${p.from} to ${p.to}`,
  ),
  season_ended: m<{ season: N; end: S }>(
    (p) =>
      `${p.season}–${p.season + 1}年秋冬季已于 ${p.end} 结束；如确需下达，请勾选“允许下达已结束的秋冬季”（API：allowPast）。`,
    (p) => `season ${p.season} ended on ${p.end}; set allowPast to launch it anyway`,
  ),
  season_calendar: m<{ season: N }>(
    (p) =>
      `${p.season}–${p.season + 1}年秋冬季的节假日安排尚未收录，无法规划；如确需下达，请勾选“按暂定日历规划”（API：provisionalCalendar）。`,
    (p) => `the holiday calendar cannot plan season ${p.season} yet; launch it on a provisional calendar`,
  ),
  policies_invalid: m(
    () => '政策文件校验未通过，未下达任何任务；详情见 details。',
    () => 'the policies do not validate; nothing was launched',
  ),
  launch_report_gone: m(
    () => '下达结果已不可查看；已下达的秋冬季见“行动方案”页面。',
    () => 'the launch report is no longer kept; the launched seasons are on the campaigns page',
  ),
  launch_refused: m(
    () => '无法下达该行动方案，请检查政策文件。',
    () => 'the campaign cannot be launched',
  ),

  // --- evidence uploads
  evidence_not_multipart: m(
    () => '佐证材料须以 multipart/form-data 提交，文件放在字段 file 中。',
    () => 'evidence is sent as multipart/form-data with a field "file"',
  ),
  evidence_unknown_field: m<{ field: S }>(
    (p) => `材料未接收：不接受字段「${p.field}」，可用字段为 note、quantity 和 file。`,
    (p) => `evidence refused: unknown field ${JSON.stringify(p.field)}; the fields are note, quantity and file`,
  ),
  evidence_file_field: m<{ field: S }>(
    (p) => `材料未接收：文件须放在字段 file 中，而不是「${p.field}」。`,
    (p) => `evidence refused: a file in the field ${JSON.stringify(p.field)}, not "file"`,
  ),
  evidence_no_file: m(
    () => '材料未接收：字段 file 中没有文件。',
    () => 'evidence refused: no file in the field "file"',
  ),
  evidence_too_many_parts: m(
    () => '材料未接收：只能提交一个文件，以及字段 note 和 quantity。',
    () => 'evidence refused: one file, and at most the fields note and quantity',
  ),
  evidence_malformed: m(
    () => '材料未接收：上传内容格式有误或不完整，请重新提交。',
    () => 'evidence refused: the multipart body is malformed',
  ),
  evidence_file_type: m<{ found: S }>(
    (p) =>
      `材料未接收：不接受此类文件（${fileKindZh(p.found)}）；可提交 PDF、PNG、JPEG、GIF、WebP、Office 文档、CSV 和 ZIP。`,
    (p) =>
      `evidence refused: file type not accepted: ${p.found}; accepted are PDF, PNG, JPEG, GIF, WebP, Office documents, CSV and ZIP`,
  ),
  evidence_too_large: m<{ limit: S; bytes: N }>(
    (p) => `材料未接收：文件超过大小限制 ${p.limit}（${p.bytes} 字节）。`,
    (p) => `evidence refused: file is larger than the limit of ${p.limit} (${p.bytes} bytes)`,
  ),
  evidence_empty: m(
    () => '材料未接收：文件为空。',
    () => 'evidence refused: file is empty',
  ),
  evidence_no_name: m(
    () => '材料未接收：文件没有名称。',
    () => 'evidence refused: file has no name',
  ),
  evidence_path_in_name: m<{ name: S }>(
    (p) => `材料未接收：文件名 ${p.name} 含有路径，请只提交文件名本身。`,
    (p) => `evidence refused: file name ${JSON.stringify(p.name)} contains a path; send the bare file name`,
  ),
  evidence_name_too_long: m(
    () => '材料未接收：文件名超过 255 字节。',
    () => 'evidence refused: file name is longer than 255 bytes',
  ),
  quantity_invalid: m<{ value: S; max: S; decimals: N }>(
    (p) => `数量 ${p.value} 无效：应为 0 至 ${p.max} 之间的普通小数（最多 ${p.decimals} 位小数，如 12 或 3.5）。`,
    (p) =>
      `quantity ${JSON.stringify(p.value)} is not a plain decimal number from 0 to ${p.max} (digits, at most ${p.decimals} decimals, e.g. 12 or 3.5)`,
  ),
  evidence_quantity_required: m<{ unit: S }>(
    (p) => `材料未接收：该任务按${p.unit}计数，请填写已完成数量。`,
    (p) => `evidence refused: this obligation counts ${p.unit}; state the quantity achieved`,
  ),

  // --- the obligation workflow's refusals (Update validators)
  invalid_argument: m<{ fields: S; detail: S }>(
    (p) => `提交的内容不符合要求：${p.fields}。`,
    (p) => p.detail,
  ),
  not_signed: m(
    () => '该更改未经蓝天签名：请通过网页、API 或命令行操作。',
    () => 'the change is not signed by Lantian: make it in the web app, the API or the CLI',
  ),
  obligation_closed: m<{ action: S; status: S }>(
    (p) => `无法${action(p.action)}：任务已关闭（${status(p.status)}）。`,
    (p) => `cannot ${p.action}: the obligation is closed (${p.status})`,
  ),
  timeline_full: m<{ action: S; limit: N }>(
    (p) => `无法${action(p.action)}：该任务的时间线已达 ${p.limit} 条上限，请联系办公室重新下达。`,
    (p) =>
      `cannot ${p.action}: this obligation's timeline holds ${p.limit} events, the most one obligation keeps; ask the office to relaunch it`,
  ),
  updates_exhausted: m<{ action: S; limit: N }>(
    (p) => `无法${action(p.action)}：该任务的更改已达 ${p.limit} 次上限，请联系办公室重新下达。`,
    (p) => `cannot ${p.action}: this obligation has reached ${p.limit} changes; ask the office to relaunch it`,
  ),
  acknowledge_updates_exhausted: m<{ limit: N }>(
    (p) => `无法签收：该任务的更改已达 ${p.limit} 次上限。`,
    (p) => `cannot acknowledge: this obligation has reached ${p.limit} changes`,
  ),
  office_only: m<{ action: S; role: S; actor: S }>(
    (p) => `只有办公室可以${action(p.action)}（操作人：${role(p.role)} ${p.actor}）。`,
    (p) => `only an office may ${p.action} (actor ${p.role} ${p.actor})`,
  ),
  evidence_wrong_assignee: m<{ code: S; name: S; role: S; actor: S }>(
    (p) => `${p.name}的材料只能由该单位提交（操作人：${role(p.role)} ${p.actor}）。`,
    (p) => `evidence for ${p.code} (${p.name}) cannot come from ${p.role} ${p.actor}`,
  ),
  evidence_closed: m<{ status: S }>(
    (p) => `无法接收材料：任务已关闭（${status(p.status)}）。`,
    (p) => `cannot accept evidence: the obligation is closed (${p.status})`,
  ),
  evidence_limit: m<{ limit: N }>(
    (p) => `无法接收材料：该任务已有 ${p.limit} 份材料，达到上限；请联系办公室审核或重新下达。`,
    (p) =>
      `cannot accept evidence: this obligation already holds ${p.limit} pieces, the most one obligation keeps; ask the office to review them or relaunch it`,
  ),
  evidence_quantity_missing: m<{ unit: S }>(
    (p) => `该任务按${p.unit}计数：材料须填写已完成数量。`,
    (p) => `this obligation counts ${p.unit}: the evidence must state the quantity achieved`,
  ),
  evidence_same_file: m<{ sha: S }>(
    (p) => `同一文件（sha256 ${p.sha}…）已提交过。`,
    (p) => `the same file (sha256 ${p.sha}…) was already submitted`,
  ),
  evidence_already_reviewed: m<{ evidence: S; state: S }>(
    (p) => `材料 ${p.evidence} 已审核（${word(evidenceStateWords, p.state)}）。`,
    (p) => `evidence ${p.evidence} was already ${p.state}`,
  ),
  rejection_needs_reason: m(
    () => '退回材料须填写理由。',
    () => 'a rejection needs a reason',
  ),
  due_date_not_later: m<{ dueDate: S; current: S }>(
    (p) => `新截止日期 ${p.dueDate} 不晚于当前截止日期 ${p.current}；如为录入错误，请使用“更正截止日期”。`,
    (p) => `new due date ${p.dueDate} is not after the current one ${p.current}`,
  ),
  due_date_same: m<{ dueDate: S }>(
    (p) => `截止日期已是 ${p.dueDate}。`,
    (p) => `the due date is ${p.dueDate} already`,
  ),
  due_date_past: m<{ dueDate: S }>(
    (p) => `新截止日期 ${p.dueDate} 已过。`,
    (p) => `new due date ${p.dueDate} is already past`,
  ),
  due_date_beyond_horizon: m<{ dueDate: S; horizon: S }>(
    (p) =>
      `新截止日期 ${p.dueDate} 晚于下一秋冬季结束日 ${p.horizon}：如确需延至该日，请勾选“确认超出下一秋冬季”（API：confirmed）。`,
    (p) =>
      `new due date ${p.dueDate} is after ${p.horizon}, the end of the campaign's next season: confirm it to move the date that far`,
  ),
  due_date_unplannable: m<{ dueDate: S; reason: S }>(
    (p) => `无法将截止日期调整为 ${p.dueDate}：节假日日历尚未收录该年份的安排，无法规划。`,
    (p) => `cannot move the due date to ${p.dueDate}: ${p.reason}`,
  ),
  acknowledge_not_addressee: m<{ name: S; role: S; actor: S }>(
    (p) => `只有${p.name}可以签收发给该单位的函件（操作人：${role(p.role)} ${p.actor}）。`,
    (p) => `only ${p.name} may acknowledge the letters addressed to it (actor ${p.role} ${p.actor})`,
  ),
  letter_already_acknowledged: m<{ number: S; at: S }>(
    (p) => `函件 ${p.number} 已于 ${beijingMinute(p.at)}（北京时间）签收。`,
    (p) => `letter ${p.number} was acknowledged on ${p.at}`,
  ),

  // --- the problem workflow's refusals
  problem_not_found: m<{ number: S }>(
    (p) => `没有找到问题${p.number ? ` ${p.number}` : ''}（或您无权查看）。`,
    (p) => `no problem${p.number ? ` ${p.number}` : ''} (or not yours to see)`,
  ),
  problem_exists: m<{ number: S }>(
    (p) => `问题编号 ${p.number} 已登记。`,
    (p) => `problem number ${p.number} is already recorded`,
  ),
  forbidden_scope: m<{ name: S }>(
    (p) => `${p.name} 不在本检查组的范围内。`,
    (p) => `${p.name} is not one of the team's cities`,
  ),
  problem_closed: m<{ action: S }>(
    (p) => `无法${action(p.action)}：问题已销号。`,
    (p) => `cannot ${p.action}: the problem is closed (已销号)`,
  ),
  problem_changes_exhausted: m<{ action: S }>(
    (p) => `无法${action(p.action)}：该问题的更改已达上限。`,
    (p) => `cannot ${p.action}: this problem has reached the most changes one problem keeps`,
  ),
  problem_office_only: m<{ action: S; role: S; actor: S }>(
    (p) => `只有办公室或督查组可以${action(p.action)}（操作人：${role(p.role)} ${p.actor}）。`,
    (p) => `only the office or an inspection team may ${p.action} (actor ${p.role} ${p.actor})`,
  ),
  problem_assignee_only: m<{ name: S; code: S; action: S; role: S; actor: S }>(
    (p) => `只有${p.name}可以${action(p.action)}（操作人：${role(p.role)} ${p.actor}）。`,
    (p) => `only ${p.name} (${p.code}) may ${p.action} (actor ${p.role} ${p.actor})`,
  ),
  problem_already_assigned: m<{ state: S }>(
    (p) => `问题已交办（${p.state}）。`,
    (p) => `the problem is already assigned (${p.state})`,
  ),
  problem_due_date_required: m<{ category: S }>(
    (p) => `${p.category}类问题为限期整改：请填写整改期限。`,
    (p) => `a ${p.category} problem is 限期整改: name the date it must be rectified by`,
  ),
  problem_due_before_found: m<{ dueDate: S; found: S }>(
    (p) => `整改期限 ${p.dueDate} 早于问题发现日期 ${p.found}。`,
    (p) => `the due date ${p.dueDate} is before the problem was found (${p.found})`,
  ),
  problem_not_assigned: m(
    () => '问题尚未交办。',
    () => 'the problem is not assigned yet',
  ),
  problem_awaits_verification: m(
    () => '整改材料待核查。',
    () => 'the rectification awaits 核查',
  ),
  problem_plan_too_late: m<{ completeBy: S; dueDate: S }>(
    (p) => `整改方案完成日期 ${p.completeBy} 晚于整改期限 ${p.dueDate}。`,
    (p) => `the plan finishes ${p.completeBy}, after the deadline ${p.dueDate}`,
  ),
  problem_plan_first: m(
    () => '请先提交整改方案。',
    () => 'submit the 整改方案 first',
  ),
  problem_evidence_pending: m(
    () => '已有材料待核查。',
    () => 'evidence already awaits 核查',
  ),
  problem_evidence_limit: m<{ limit: N }>(
    (p) => `每个问题最多保存 ${p.limit} 份材料。`,
    (p) => `a problem keeps at most ${p.limit} pieces of evidence`,
  ),
  problem_similar_limit: m<{ limit: N }>(
    (p) => `每个问题最多保存 ${p.limit} 条举一反三记录。`,
    (p) => `a problem keeps at most ${p.limit} 举一反三 items`,
  ),
  problem_nothing_to_verify: m<{ state: S }>(
    (p) => `没有待核查的整改（当前：${p.state}）。`,
    (p) => `nothing awaits 核查 (${p.state})`,
  ),

  // --- timeline reasons the app writes (a person's typed reason is shown as typed)
  reason_launched: m<{ campaign: S; season: N; dueDate: S; provisional?: S }>(
    (p) =>
      `行动方案 ${p.campaign}，${p.season}–${p.season + 1}年秋冬季：截止 ${p.dueDate}${p.provisional ? `；按暂定日历规划，${p.provisional} 年暂按周一至周五计算，待节假日安排补入` : ''}`,
    (p) =>
      `campaign ${p.campaign}, season ${p.season}: due ${p.dueDate}${p.provisional ? `; planned on a provisional calendar: ${p.provisional} counted Monday to Friday until its holiday notice is in the calendar` : ''}`,
  ),
  reason_passed_at_launch: m(
    () => '任务下达时提醒时间已过',
    () => 'its time had passed when the obligation was launched',
  ),
  reason_passed_at_move: m(
    () => '截止日期调整时提醒时间已过',
    () => 'its time had passed when the deadline moved',
  ),
  reason_not_acknowledged: m<{ letter: S; by: S }>(
    (p) => `${p.letter}未在${p.by}前签收，已催签`,
    (p) => `${p.letter} not acknowledged by ${p.by}`,
  ),
  reason_obligation_is: m<{ status: S }>(
    (p) => `任务${status(p.status)}`,
    (p) => `obligation is ${p.status}`,
  ),
  reason_planned_again_past: m<{ date: S }>(
    (p) => `按节假日安排应于 ${p.date} 发送（已过），不在节假日补发`,
    (p) => `planned again for ${p.date}, a working day already past, instead of a day off`,
  ),
  reason_superseded: m(
    () => '下达时该步骤已到期，由后续步骤取代',
    () => 'launched after it fell due; a later step supersedes it',
  ),
  reason_holidays_added: m<{ years: S; moved?: S }>(
    (p) =>
      `${p.years} 年节假日安排已补入日历，日期已重新规划${p.moved ? `；调整：${p.moved.replace(/ to /g, ' 改为 ')}` : ''}`,
    (p) =>
      `the holiday notice for ${p.years} is in the calendar now: the dates were planned again${p.moved ? `; moved: ${p.moved}` : ''}`,
  ),
  reason_due_ended: m<{ dueDate: S }>(
    (p) => `截止日期 ${p.dueDate} 已过，尚无通过审核的材料`,
    (p) => `the due date ${p.dueDate} ended without accepted evidence`,
  ),
  reason_still_unmet: m<{ delay: S; dueDate: S; step: S }>(
    (p) => `截止日期 ${p.dueDate} 后 ${delayZh(p.delay)} 仍未完成：${stepZh[p.step] ?? p.step}`,
    (p) => `still unmet ${p.delay} after the due date ${p.dueDate}: ${p.step}`,
  ),
  reason_reminder: m<{ offset: S; dueDate: S }>(
    (p) => `截止日期 ${p.dueDate} 前 ${delayZh(p.offset)}`,
    (p) => `${p.offset} before the due date ${p.dueDate}`,
  ),
  reason_awaits_review: m(
    () => '材料待审核',
    () => 'evidence awaits review',
  ),
  reason_evidence_accepted: m(
    () => '材料审核通过',
    () => 'evidence accepted',
  ),
  reason_met_late: m<{ dueDate: S }>(
    (p) => `截止日期 ${p.dueDate} 后完成`,
    (p) => `met after the deadline ${p.dueDate}`,
  ),
  reason_not_met: m<{ dueDate: S }>(
    (p) => `至行动结束仍未完成（截止 ${p.dueDate}）`,
    (p) => `not met by the close of the campaign (due ${p.dueDate})`,
  ),
  reason_pace: m<{ colour: S; got: S; expected: S; unit: S; target: S }>(
    (p) =>
      `${colourZh[p.colour] ?? p.colour}：已完成 ${p.got}${p.unit}，按序时进度应完成 ${p.expected}${p.unit}（目标 ${p.target}${p.unit}）`,
    (p) => `${p.colour}: ${p.got} of ${p.expected} ${p.unit} expected by now (target ${p.target})`,
  ),
  reason_smtp_refused: m<{ address?: S; code: S; said: S }>(
    (p) => `${p.address ? `${p.address}：` : ''}邮件服务器拒收（${p.code}）：${p.said}`,
    (p) => `${p.address ? `${p.address}: ` : ''}SMTP refused the notice (${p.code}): ${p.said}`,
  ),
  reason_unknown: m<{ text: S }>(
    (p) => `系统记录：${p.text}`,
    (p) => p.text,
  ),

  // --- delivery of notices
  delivery_outbox: m<{ file: S }>(
    (p) => `已写入发件箱（${p.file}）`,
    (p) => `written to the outbox (${p.file})`,
  ),
  delivery_digest: m<{ digest: S }>(
    (p) => `已列入每日汇总（${p.digest}）`,
    (p) => `listed in ${p.digest}`,
  ),
  /** Before the words of a mail server or a channel, shown as they came. */
  delivery_server_reply: m<{ reply: S }>(
    (p) => `原文${p.reply ? ` ${p.reply}` : ''}`,
    (p) => `as received: ${p.reply}`,
  ),
  delivery_failed_reason: m<{ text: S }>(
    (p) => `投递失败，原因已记入日志（${p.text.length > 60 ? `${p.text.slice(0, 60)}…` : p.text}）`,
    (p) => p.text,
  ),
  delivery_attempt: m<{ n: N }>(
    (p) => `第 ${p.n} 次尝试`,
    (p) => `attempt ${p.n}`,
  ),

  // --- the command line's refusals (cli/): the office uses it too. Flags, paths, ids and what a
  // library said stay as written, so that the line can be acted on or searched for.
  cli_user_role: m<{ role: S }>(
    (p) =>
      `--role 只能是 office（大气办）、assignee（责任单位）、supervisor（督查）或 team（检查组），不能是 ${p.role}。`,
    (p) => `--role must be office, assignee, supervisor or team, not ${p.role}`,
  ),
  cli_user_team_flag: m<{ role: S }>(
    (p) => `--team 只用于检查组用户（team）；${p.role} 用户没有检查组。`,
    (p) => `--team is for team users; a ${p.role} user has none`,
  ),
  cli_user_team_not_org: m(
    () => '检查组用户属于其检查组：请用 --team <检查组编号>，不要用 --org。',
    () => 'a team user is bound to its team: --team <id>, not --org',
  ),
  cli_user_no_organisation: m<{ code: S; dir: S }>(
    (p) => `--org ${p.code}：${p.dir}/organisations 中没有这个单位。`,
    (p) => `no organisation ${p.code} in ${p.dir}/organisations`,
  ),
  user_needs_org: m(
    () => '责任单位用户须用 --org <单位代码> 指明所属单位。',
    () => 'an assignee user needs --org <organisation code>',
  ),
  user_needs_team: m(
    () => '检查组用户须用 --team <检查组编号> 指明所属检查组。',
    () => 'a team user needs --team <team id>',
  ),
  user_not_bound: m<{ role: S }>(
    (p) => `${p.role} 用户不属于某个单位：请去掉 --org。`,
    (p) => `a ${p.role} user is not bound to an organisation; drop --org`,
  ),
  cli_problem_closed: m<{ number: S }>(
    (p) => `问题 ${p.number} 已销号，不能再更改。`,
    (p) => `problem ${p.number} is closed (已销号); nothing can change it`,
  ),
  cli_problem_unknown: m<{ number: S }>(
    (p) => `该行动方案和秋冬季中没有问题 ${p.number}。`,
    (p) => `no problem ${p.number} in that campaign and season`,
  ),
  cli_problem_campaign: m<{ campaign: S }>(
    (p) => `--campaign ${p.campaign}：策略中没有这个行动方案。`,
    (p) => `no campaign ${p.campaign}`,
  ),
  cli_problem_file_refused: m<{ errors: S }>(
    (p) => `整个文件未导入（没有启动任何问题）：\n${p.errors}`,
    (p) => `the file is refused whole:\n${p.errors}`,
  ),
  cli_problem_submit_what: m(
    () => '请指定 --plan（整改方案，须同时给出 --complete-by）、--evidence（整改材料）或两者。',
    () => 'say --plan (with --complete-by), --evidence, or both',
  ),
  cli_problem_plan_date: m(
    () => '--plan 与 --complete-by 须同时给出。',
    () => '--plan and --complete-by go together',
  ),
  cli_out_format: m<{ file: S }>(
    (p) => `--out ${p.file}：只能写 .xlsx 或 .csv 文件。`,
    (p) => `--out ${p.file}: write a .xlsx or a .csv file`,
  ),
  cli_temporal_unreachable: m<{ address: S; detail: S }>(
    (p) => `无法连接 Temporal（${p.address}）：请确认 \`npm start\` 正在运行（${p.detail}）。`,
    (p) => `cannot reach Temporal at ${p.address} (is \`npm start\` running?): ${p.detail}`,
  ),
  cli_database_url_unset: m(
    () => '未设置 LANTIAN_DATABASE_URL：未设置时 Lantian 把状态保存在数据文件夹中，没有需要迁移的数据库。',
    () =>
      'LANTIAN_DATABASE_URL is not set: without it Lantian keeps its state in the data folder and has nothing to migrate',
  ),
  cli_database_unreachable: m<{ database: S; detail: S }>(
    (p) => `无法连接数据库 ${p.database}（${p.detail}）。请确认数据库正在运行、地址和密码无误。`,
    (p) => `cannot reach the database at ${p.database}: ${p.detail}`,
  ),
  cli_launch_failed: m<{ count: N }>(
    (p) => `有 ${p.count} 项任务未能启动（见上方列表）。可再次运行同一命令：已启动的任务不会重复启动。`,
    (p) => `${p.count} obligations could not be started`,
  ),
  cli_notice_no_obligation: m<{ campaign: S; obligation: S; assignee: S; period: S }>(
    (p) =>
      `行动方案 ${p.campaign} 中没有责任单位 ${p.assignee} 的任务 ${p.obligation}${p.period ? `（期间 ${p.period}）` : ''}。`,
    (p) => `${p.campaign} has no obligation ${p.obligation} for ${p.assignee}${p.period ? ` in ${p.period}` : ''}`,
  ),
  cli_notice_no_step: m<{ step: S; steps: S }>(
    (p) => `该任务没有步骤 ${p.step}；它的步骤有：${p.steps}。`,
    (p) => `no step ${p.step} for this obligation; it has: ${p.steps}`,
  ),
  cli_notice_pdf_letter_only: m(
    () => '只有函件（升级督办步骤）才有 PDF；提醒没有。',
    () => 'only a letter (an escalation step) has a PDF',
  ),
  cli_path_missing: m<{ path: S }>(
    (p) => `${p.path} 不存在。`,
    (p) => `${p.path} does not exist`,
  ),
  cli_policy_invalid: m<{ count: N; issues: S }>(
    (p) => `策略有 ${p.count} 处错误：\n${p.issues}`,
    (p) => `${p.count} policy error${p.count === 1 ? '' : 's'}:\n${p.issues}`,
  ),
  cli_no_campaign: m<{ flag: S; campaign: S; known: S }>(
    (p) => `${p.flag} ${p.campaign}：策略中没有这个行动方案（现有：${p.known}）。`,
    (p) => `${p.flag} ${p.campaign}: no such campaign in the policies (${p.known})`,
  ),
  cli_no_obligation: m<{ obligation: S; campaign: S }>(
    (p) =>
      `--obligation ${p.obligation}：${p.campaign ? `行动方案 ${p.campaign}` : '策略的任何行动方案'}中都没有这项任务。`,
    (p) => `--obligation ${p.obligation}: no such obligation in ${p.campaign || 'any campaign of the policies'}`,
  ),
  cli_no_organisation: m<{ flag: S; code: S }>(
    (p) => `${p.flag} ${p.code}：策略中没有这个单位。`,
    (p) => `${p.flag} ${p.code}: no such organisation in the policies`,
  ),
  cli_not_a_province: m<{ code: S; name: S }>(
    (p) => `--province ${p.code}：${p.name}不是省级单位（按单位筛选请用 --assignee ${p.code}）。`,
    (p) => `--province ${p.code}: ${p.name} is not a province (filter by --assignee ${p.code})`,
  ),
  cli_no_letter: m<{ id: S; documentNumber: S; letters: S }>(
    (p) => `${p.id}：没有文号为 ${p.documentNumber} 的函件（现有函件：${p.letters || '无'}）。`,
    (p) => `${p.id}: no letter ${p.documentNumber} (letters: ${p.letters || 'none'})`,
  ),
  cli_file_unreadable: m<{ file: S }>(
    (p) => `无法读取 ${p.file}：文件不存在。`,
    (p) => `cannot read ${p.file}: no such file`,
  ),
  cli_evidence_refused: m<{ id: S; reason: S; hint: S }>(
    (p) => `任务 ${p.id} 不接受此次提交：${p.reason}${p.hint ? `（请用 ${p.hint} 填写）` : ''}`,
    (p) => `${p.id}: ${p.reason}${p.hint ? ` (${p.hint})` : ''}`,
  ),
  cli_no_evidence: m<{ id: S; evidence: S; known: S }>(
    (p) => `${p.id} 没有材料 ${p.evidence}${p.known ? `（现有材料：${p.known}）` : '（尚无材料）'}。`,
    (p) => `${p.id} has no evidence ${p.evidence}${p.known ? ` (it has ${p.known})` : ''}`,
  ),
  cli_evidence_missing: m<{ id: S; evidence: S; sha256: S }>(
    (p) => `${p.id} ${p.evidence}：材料库中没有文件 ${p.sha256}。`,
    (p) => `${p.id} ${p.evidence}: ${p.sha256} is not in the evidence store`,
  ),
  cli_evidence_corrupt: m<{ id: S; evidence: S; sha256: S }>(
    (p) => `${p.id} ${p.evidence}：材料库中的文件与其 sha256 ${p.sha256} 不符，文件可能已损坏。`,
    (p) => `${p.id} ${p.evidence}: the stored file does not match its sha256 ${p.sha256}`,
  ),
  cli_out_exists: m<{ file: S }>(
    (p) => `${p.file} 已存在：请换一个 --out，或加 --force 覆盖。`,
    (p) => `${p.file} exists; choose another --out or add --force`,
  ),
  cli_review_decision: m(
    () => '请指定 --accept（通过）或 --reject（退回）其中之一。',
    () => 'say either --accept or --reject',
  ),
  cli_replace_needs_reason: m(
    () => '--replace 须同时用 --reason <理由> 说明为何替换已保存的数据。',
    () => '--replace needs --reason <text>',
  ),
  cli_not_assessed_city: m<{ code: S; campaign: S }>(
    (p) => `${p.code} 不是行动方案 ${p.campaign} 考核的城市。`,
    (p) => `${p.code} is not a city assessed in ${p.campaign}`,
  ),
  cli_not_confirmed: m(
    () => '未确认，未发出任何文书。',
    () => 'not confirmed; nothing issued',
  ),
  cli_acts_need_worker: m(
    () => '发出文书需要 Temporal 和任务处理程序：请确认 `npm start` 正在运行。',
    () => 'issuing acts needs Temporal and a worker (is `npm start` running?)',
  ),
  cli_provisional_hint: m<{ detail: S }>(
    (p) => `${p.detail}；或按暂定日历规划（--provisional-calendar：尚无放假通知的年份按周一至周五计工作日）。`,
    (p) =>
      `${p.detail}; or plan it on a provisional calendar (--provisional-calendar: a year without its notice counts Monday to Friday)`,
  ),
};

export type MessageCode = keyof typeof messages;
export type MessageParams<C extends MessageCode> = Parameters<(typeof messages)[C]['zh']>[0];

export const isMessageCode = (s: unknown): s is MessageCode =>
  typeof s === 'string' && Object.prototype.hasOwnProperty.call(messages, s);

/** The message `code` says, with its parameters, in `locale` (Chinese unless asked otherwise). */
export function message<C extends MessageCode>(code: C, params: MessageParams<C>, locale: Locale = 'zh-CN'): string {
  const e = messages[code] as unknown as Entry<MessageParams<C>>;
  return locale === 'en' ? e.en(params) : e.zh(params);
}

/** A refusal's code and parameters together, typed by the code. */
export type Refusal<C extends MessageCode = MessageCode> = { [K in C]: { code: K; params: MessageParams<K> } }[C];

export const refusalOf = <C extends MessageCode>(code: C, params: MessageParams<C>): Refusal<C> =>
  ({ code, params }) as unknown as Refusal<C>;

// ------------------------------------------------------------------ helpers of the wording

/** An ISO instant as Beijing time to the minute (no time-zone library: workflows load this file). */
export function beijingMinute(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** A delay as the letters write it: P15D → 15日, P1M → 1个月, 10 working days → 10个工作日. */
export function delayZh(d: string): string {
  const wd = /^(\d+) working days$/.exec(d);
  if (wd) return `${wd[1]}个工作日`;
  const x = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(d);
  if (!x) return d;
  return [x[1] && `${x[1]}年`, x[2] && `${x[2]}个月`, x[3] && `${x[3]}周`, x[4] && `${x[4]}日`, x[5] && `${x[5]}小时`]
    .filter(Boolean)
    .join('');
}

const stepZh: Record<string, string> = {
  urging: '督促',
  'warning-letter': '预警通知函',
  'public-interview': '公开约谈',
  accountability: '问责/区域环评限批',
};
const colourZh: Record<string, string> = { green: '绿色（正常）', yellow: '黄色（滞后）', red: '红色（严重滞后）' };

/** What an upload's first bytes were, in Chinese (web/upload.ts `describeHead` says it in English). */
function fileKindZh(found: string): string {
  if (/Windows executable/.test(found)) return 'Windows 可执行程序';
  if (/ELF executable/.test(found)) return 'ELF 可执行程序';
  if (/HTML\/SVG/.test(found)) return 'HTML/SVG 网页代码';
  if (/plain text/.test(found)) return '纯文本；文本仅接受 .csv 文件';
  const hex = /starting ([0-9a-f]+)/.exec(found)?.[1];
  return hex ? `无法识别的内容，开头为 ${hex}` : '无法识别的内容';
}

// ------------------------------------------------------------------ spreadsheet words

/** The obligation list's columns (CSV and .xlsx), in order: key and header. */
export const obligationColumns = [
  ['workflowId', { zh: '任务编号', en: 'workflowId' }],
  ['campaign', { zh: '行动方案代码', en: 'campaign' }],
  ['campaignTitle', { zh: '行动方案', en: 'campaign title' }],
  ['season', { zh: '秋冬季', en: 'season' }],
  ['obligation', { zh: '任务代码', en: 'obligation' }],
  ['obligationTitle', { zh: '任务', en: 'obligation title' }],
  ['assignee', { zh: '责任单位代码', en: 'assignee' }],
  ['assigneeName', { zh: '责任单位', en: 'assignee name' }],
  ['province', { zh: '省份代码', en: 'province' }],
  ['period', { zh: '时段', en: 'period' }],
  ['status', { zh: '状态', en: 'status' }],
  ['level', { zh: '督办级别', en: 'level' }],
  ['deadline', { zh: '截止时间（北京时间）', en: 'deadline (Beijing time)' }],
  ['daysLeft', { zh: '剩余天数', en: 'days left' }],
] as const;
export type ObligationColumn = (typeof obligationColumns)[number][0];

/** The headers of the obligation list, for CSV and spreadsheet exports. */
export const obligationHeaders = (locale: Locale = 'zh-CN'): string[] =>
  obligationColumns.map(([, w]) => (locale === 'en' ? w.en : w.zh));

/** An obligation status as a person reads it (进行中, 已逾期 …); an unknown one as it is. */
export const statusWord = (s: string | undefined, locale: Locale = 'zh-CN'): string =>
  s === undefined ? '' : locale === 'en' ? (statusWords[s]?.en ?? s) : (statusWords[s]?.zh ?? s);

/** A season as people say it: 2026–2027年秋冬季. */
export const seasonWord = (season: number | undefined, locale: Locale = 'zh-CN'): string =>
  season === undefined ? '' : locale === 'en' ? `${season}–${season + 1}` : `${season}–${season + 1}年秋冬季`;
