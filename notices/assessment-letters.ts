// What an assessment letter (and a pace warning) can use: one context per act, with the
// figures that caused it already worded, so templates stay plain and the loader can check
// them against a sample (strict mode: a misspelt variable is a load error).
import { chineseDate } from './render';
import type { CityAssessment } from '../domain/assessment';
import type { ActKind } from '../domain/targets';
import type { Addressing } from './context';

export const actTemplates = ['warning-letter', 'public-interview', 'accountability'] as const;

export const actLabels: Record<ActKind, string> = {
  'warning-letter': '预警通知函',
  'public-interview': '公开约谈通知',
  accountability: '问责及区域环评限批通知',
};

export interface ActContextInput {
  a: CityAssessment;
  /** How the letter names its addressee (人民政府, 管理委员会) and refers to it (你市, 你区). */
  addressing: Addressing;
  pointTitle: string;
  office: { name: string; abbreviation: string };
  campaignTitle: string;
  documentNumber?: string;
  issuedDate: string;
  key: string;
}

export function figureLines(a: CityAssessment): string[] {
  const f = a.figures;
  const lines = [
    `考核时段：${chineseDate(a.window.start)}至${chineseDate(a.window.end)}（有效监测${f.days}天，应有${f.expectedDays}天）`,
    `PM2.5平均浓度：${f.pm25Mean ?? '—'}微克/立方米${a.baseline ? `（去年同期${a.baseline.pm25Mean ?? '—'}，同比${fmtPct(a.pm25ChangePct)}）` : ''}`,
    `重度及以上污染天数：${f.heavyDays}天${a.baseline ? `（去年同期${a.baseline.heavyDays}天，同比${fmtPct(a.heavyDaysChangePct)}）` : ''}`,
    `AQI连续超过500（“爆表”）最长：${f.offTheChartRun}天`,
    `重点任务逾期比例：${a.overdueShare === null ? '未统计' : `${Math.round(a.overdueShare * 100)}%`}`,
  ];
  if (a.target) lines.push(`目标：${targetText(a.target)}`);
  return lines;
}

export function targetText(t: NonNullable<CityAssessment['target']>): string {
  const parts: string[] = [];
  if (t.pm25Max !== undefined) parts.push(`PM2.5平均浓度不高于${t.pm25Max}微克/立方米`);
  if (t.heavyDaysMax !== undefined) parts.push(`重度及以上污染天数不多于${t.heavyDaysMax}天`);
  if (t.pm25ChangePctMax !== undefined) parts.push(`PM2.5平均浓度同比变化不高于${fmtPct(t.pm25ChangePctMax)}`);
  if (t.heavyDaysChangePctMax !== undefined)
    parts.push(`重度及以上污染天数同比变化不高于${fmtPct(t.heavyDaysChangePctMax)}`);
  if (t.heavyDaysChangeMax !== undefined) parts.push(`重度及以上污染天数同比变化不多于${t.heavyDaysChangeMax}天`);
  return parts.join('，');
}

const fmtPct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x > 0 ? '+' : ''}${x}%`);

export function actContext(i: ActContextInput) {
  const act = i.a.act!;
  return {
    key: i.key,
    documentNumber: i.documentNumber ?? '',
    kindLabel: actLabels[act.kind],
    assignee: { code: i.a.code, name: i.a.name },
    ...i.addressing,
    office: i.office,
    campaignTitle: i.campaignTitle,
    pointTitle: i.pointTitle,
    verdictCn: i.a.verdictCn,
    clause: `${act.clause.section}、${act.clause.item ?? ''}“${act.clause.text}”`,
    reasons: act.reasons.map((r) => r.text),
    figures: figureLines(i.a),
    falsified: i.a.falsified ? `${i.a.falsified.reason}（证据：${i.a.falsified.evidence}）` : '',
    regionalEiaRestriction: act.regionalEiaRestriction,
    issuedDateCn: chineseDate(i.issuedDate),
  };
}

export function sampleActContext(kind: string) {
  return {
    key: 'lantian-assessment:sample:final:130100',
    documentNumber: '京津冀大气办〔2021〕1号',
    kindLabel: actLabels[(kind as ActKind) in actLabels ? (kind as ActKind) : 'warning-letter'],
    assignee: { code: '130100', name: '石家庄市' },
    addressee: '石家庄市人民政府',
    you: '你市',
    office: { name: '京津冀及周边地区大气污染防治领导小组办公室', abbreviation: '京津冀大气办' },
    campaignTitle: '秋冬季攻坚行动',
    pointTitle: '终期考核',
    verdictCn: '不合格',
    clause: '四、（二十二）“……”',
    reasons: ['PM2.5平均浓度90微克/立方米，高于目标86微克/立方米'],
    figures: ['PM2.5平均浓度：90微克/立方米'],
    falsified: '',
    regionalEiaRestriction: kind === 'accountability',
    issuedDateCn: '2021年4月30日',
  };
}

export interface PaceContextInput {
  key: string;
  /** The obligation's 督办事项编号 (notices/context.ts supervisionNumber). */
  reference: string;
  assignee: { code: string; name: string };
  addressing: Addressing;
  obligation: { title: string; clause: string; unit: string };
  office: { name: string };
  colour: string;
  reported: number;
  expected: number;
  target: number;
  dueDate: string;
  issuedDate: string;
}

export function paceContext(i: PaceContextInput) {
  const { addressing, ...rest } = i;
  return {
    ...rest,
    ...addressing,
    colourCn: i.colour === 'red' ? '红色（严重滞后）' : i.colour === 'yellow' ? '黄色（滞后）' : '绿色（正常）',
    expected: Math.round(i.expected * 100) / 100,
    dueDateCn: chineseDate(i.dueDate),
    issuedDateCn: chineseDate(i.issuedDate),
  };
}

export function samplePaceContext() {
  return paceContext({
    key: 'sample',
    reference: 'JJJ2030-07-130100',
    assignee: { code: '130100', name: '石家庄市' },
    addressing: { addressee: '石家庄市生态环境局', you: '你市' },
    obligation: { title: '淘汰燃煤锅炉', clause: '二、（三）', unit: '台' },
    office: { name: '京津冀及周边地区大气污染防治领导小组办公室' },
    colour: 'yellow',
    reported: 3,
    expected: 6,
    target: 12,
    dueDate: '2030-12-31',
    issuedDate: '2030-11-15',
  });
}
