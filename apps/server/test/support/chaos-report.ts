import type { LoadSample } from './request-load.js';

/** One event's line in the chaos suite's summary. */
export interface Row {
  event: string;
  boundS: number;
  outageS: number;
  recoveryS: number;
  requests: number;
  failedRequests: number;
  /** What the failures were: HTTP status × count per target, `no answer` for a refused or timed-out connection. */
  failedAs: string;
  failedOutsideOutage: number;
  provisioningAtEvent: string;
  provisionedS: number;
  lostOrDuplicateJobs: number;
  stuckInstances: number;
  orphans: number;
}

export function failureKinds(failures: LoadSample[]) {
  const counts = new Map<string, number>();
  for (const f of failures) {
    const kind = `${f.target} ${f.status ? String(f.status) : 'no answer'}`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${kind} ×${n}`).join(', ') || '–';
}

/** The summary's columns, in order: heading and field. */
const COLUMNS: [string, keyof Row][] = [
  ['event', 'event'],
  ['bound s', 'boundS'],
  ['outage s', 'outageS'],
  ['recovery s', 'recoveryS'],
  ['requests', 'requests'],
  ['failed', 'failedRequests'],
  ['failed as', 'failedAs'],
  ['failed outside outage', 'failedOutsideOutage'],
  ['provisioning at the event', 'provisioningAtEvent'],
  ['provisioned in s', 'provisionedS'],
  ['lost/duplicate jobs', 'lostOrDuplicateJobs'],
  ['stuck', 'stuckInstances'],
  ['orphans', 'orphans'],
];

/** The run's summary, as a Markdown table (docs/reliability.md shows one). */
export function summaryTable(rows: Row[]) {
  const line = (cells: unknown[]) => `| ${cells.join(' | ')} |`;
  return [
    `\nChaos summary (${new Date().toISOString()})\n`,
    line(COLUMNS.map(([heading]) => heading)),
    `|${COLUMNS.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => line(COLUMNS.map(([, field]) => row[field]))),
  ].join('\n');
}
