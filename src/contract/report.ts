import { CHECK_NAMES } from './checks';
import type { PrintedRequest } from './curl';
import type { ApiReport, ContractReport, PrintedResponse, ReportedCheck, ReportedFailure } from './runner';

/** Failing cases printed per check; the rest are counted (the JUnit file has them all). */
const FAILURES_SHOWN_PER_CHECK = 5;
const BODY_SHOWN_CHARS = 1000;

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text);

/** How the console report is written: with ANSI colours (a terminal) or without (NO_COLOR, a pipe, a file). */
export interface ConsoleStyle {
  colors: boolean;
}

const PLAIN: ConsoleStyle = { colors: false };
const ANSI = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
const paint = (style: ConsoleStyle, color: keyof typeof ANSI, text: string) => (style.colors ? `\u001b[${ANSI[color]}m${text}\u001b[0m` : text);

/** Colours for a stream: off under NO_COLOR (any value, https://no-color.org) or when it is not a terminal. */
export function consoleStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ConsoleStyle {
  return { colors: Boolean(stream.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== '') };
}

function cell(check: ReportedCheck): string {
  switch (check.status) {
    case 'pass':
      return `pass ${check.cases}`;
    case 'fail':
      return `FAIL ${check.failures.length}/${check.cases}`;
    case 'skipped':
      return 'skipped';
  }
}

const CELL_COLOR = { pass: 'green', fail: 'red', skipped: 'yellow' } as const;

/** Checks down, apis across: pass with the number of cases judged, FAIL failing/judged, skipped. */
export function formatTable(report: ContractReport, style: ConsoleStyle = PLAIN): string {
  const header = ['check', ...report.apis.map((api) => api.api)];
  const rows = CHECK_NAMES.map((name) => [
    name,
    ...report.apis.map((api) => {
      const check = api.checks.find((c) => c.check === name);
      return check ? cell(check) : '-';
    }),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  // Padding is measured on the plain text; colour codes wrap the padded cell.
  const colored = (value: string, column: number, row: number) => {
    const padded = value.padEnd(widths[column]);
    const check = column > 0 ? report.apis[column - 1].checks.find((c) => c.check === CHECK_NAMES[row]) : undefined;
    return check ? paint(style, CELL_COLOR[check.status], padded) : padded;
  };
  const line = (row: string[], index?: number) =>
    row.map((value, column) => (index === undefined ? value.padEnd(widths[column]) : colored(value, column, index))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row, index) => line(row, index))].join('\n');
}

function formatRequest(request: PrintedRequest): string[] {
  const lines = [`    > ${request.method} ${request.url}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`    > ${name}: ${value}`);
  if (request.body !== undefined) lines.push(`    > ${truncate(request.body, BODY_SHOWN_CHARS)}`);
  return lines;
}

function formatResponse(response: PrintedResponse): string[] {
  if (response.error) return [`    < (no response: ${response.error})`];
  const lines = [`    < ${response.status}`];
  for (const [name, value] of Object.entries(response.headers)) {
    for (const part of value.split('\n')) lines.push(`    < ${name}: ${part}`);
  }
  if (response.body) lines.push(`    < ${truncate(response.body, BODY_SHOWN_CHARS)}`);
  return lines;
}

function formatFailure(api: string, check: string, failure: ReportedFailure): string[] {
  const origin = failure.shrunk
    ? `${failure.phase} phase, shrunk in ${failure.shrunk.steps} step(s) from "${failure.shrunk.originalCase}"`
    : `${failure.phase} phase`;
  return [
    `  ${api} · ${check} · ${failure.operationId} · ${failure.caseName}`,
    `    ${failure.message}`,
    `    (${origin})`,
    ...formatRequest(failure.request),
    ...formatResponse(failure.response),
    `    reproduce (token values are placeholders: put live ones in their place):`,
    `    ${failure.curl}`,
  ];
}

/** Per operation: the requests of each phase, and which declared responses came back. */
export function formatCoverage(report: ContractReport): string {
  const lines = ['Responses observed (declared responses no request produced are listed as not observed):'];
  for (const api of report.apis) {
    for (const operation of api.coverage) {
      const observed = operation.responses.filter((r) => r.observed).map((r) => r.status);
      const missed = operation.responses.filter((r) => !r.observed).map((r) => r.status);
      const { coverage, generative, scenario, shrinking } = operation.requests;
      lines.push(
        `  ${api.api} ${operation.method} ${operation.path}: observed ${observed.join(', ') || 'none'}` +
          `${missed.length > 0 ? `; not observed ${missed.join(', ')}` : ''}` +
          `${operation.undeclared.length > 0 ? `; undeclared ${operation.undeclared.join(', ')}` : ''}` +
          ` (requests: ${coverage} coverage, ${generative} generated, ${scenario} scenario${shrinking > 0 ? `, ${shrinking} shrinking` : ''})`,
      );
    }
  }
  return lines.join('\n');
}

/** Every failing case with its (redacted) request and response, then why checks were skipped. */
export function formatDetails(report: ContractReport): string {
  const lines: string[] = [];
  const failing = report.apis.flatMap((api) => api.checks.filter((c) => c.status === 'fail').map((check) => ({ api, check })));
  if (failing.length > 0) {
    lines.push('Failures:');
    for (const { api, check } of failing) {
      for (const failure of check.failures.slice(0, FAILURES_SHOWN_PER_CHECK)) lines.push(...formatFailure(api.api, check.check, failure), '');
      const hidden = check.failures.length - FAILURES_SHOWN_PER_CHECK;
      if (hidden > 0) lines.push(`  … and ${hidden} more failing case(s) of ${api.api} · ${check.check}`, '');
    }
  }
  // Grouped by reason: without credentials, the same reason covers most of the table.
  const skipsByReason = new Map<string, Map<string, string[]>>();
  for (const api of report.apis) {
    for (const check of api.checks.filter((c) => c.status === 'skipped')) {
      const byApi = skipsByReason.get(check.reason ?? '') ?? new Map<string, string[]>();
      byApi.set(api.api, [...(byApi.get(api.api) ?? []), check.check]);
      skipsByReason.set(check.reason ?? '', byApi);
    }
  }
  if (skipsByReason.size > 0) {
    lines.push('Skipped (not counted as passed):');
    for (const [reason, byApi] of skipsByReason) {
      lines.push(`  ${reason}`, ...[...byApi].map(([api, checks]) => `    ${api}: ${checks.join(', ')}`));
    }
    lines.push('');
  }
  const notes = report.apis.flatMap((api) => api.checks.filter((c) => c.note).map((check) => `  ${api.api} · ${check.check}: ${check.note}`));
  if (notes.length > 0) lines.push('Notes:', ...notes, '');
  if (report.errors.length > 0) lines.push('Errors:', ...report.errors.map((error) => `  ${error}`), '');
  return lines.join('\n');
}

export function formatSummary(report: ContractReport, style: ConsoleStyle = PLAIN): string {
  const requests = report.apis.reduce((sum, api) => sum + api.requests, 0);
  const errors = report.errors.length > 0 ? `, ${report.errors.length} error(s)` : '';
  const verdict = report.ok ? paint(style, 'green', 'PASSED') : paint(style, 'red', 'FAILED');
  return (
    `${verdict}: ${report.totals.pass} passed, ${report.totals.fail} failed, ${report.totals.skipped} skipped${errors} ` +
    `(${report.apis.length} api(s), ${requests} requests, ${(report.durationMs / 1000).toFixed(1)} s, seed ${report.seed}, ${report.baseUrl})`
  );
}

/** What `refreshd contract` prints: the table, the failing cases, the responses observed, the summary line. */
export function formatConsoleReport(report: ContractReport, style: ConsoleStyle = PLAIN): string {
  const details = formatDetails(report);
  return [formatTable(report, style), '', ...(details ? [details] : []), formatCoverage(report), '', formatSummary(report, style)].join('\n');
}

/** `--report json`: the whole report, token values already replaced by placeholders. */
export function toJson(report: ContractReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const xml = (text: string) =>
  text
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const seconds = (ms: number) => (ms / 1000).toFixed(6);

function junitCase(api: ApiReport, check: ReportedCheck): string {
  const open = `    <testcase classname="refreshd.contract.${xml(api.api)}" name="${xml(check.check)}" time="${seconds(check.durationMs)}">`;
  if (check.status === 'pass') return `${open}</testcase>`;
  if (check.status === 'skipped') return `${open}\n      <skipped message="${xml(check.reason ?? '')}"/>\n    </testcase>`;
  const text = check.failures.flatMap((failure) => [...formatFailure(api.api, check.check, failure), '']).join('\n');
  const message = `${check.failures.length} of ${check.cases} case(s) failed: ${check.failures[0]?.message ?? ''}`;
  return `${open}\n      <failure type="${xml(check.check)}" message="${xml(message)}">${xml(text)}</failure>\n    </testcase>`;
}

/** JUnit XML: one testsuite per api, one testcase per check; setup errors as an `errors` suite. */
export function toJUnitXml(report: ContractReport): string {
  const suites = report.apis.map((api) => {
    const count = (status: string) => api.checks.filter((c) => c.status === status).length;
    return [
      `  <testsuite name="${xml(api.api)}" tests="${api.checks.length}" failures="${count('fail')}" errors="0" skipped="${count('skipped')}" time="${seconds(api.durationMs)}">`,
      `    <properties><property name="base_url" value="${xml(report.baseUrl)}"/><property name="requests" value="${api.requests}"/><property name="seed" value="${report.seed}"/></properties>`,
      ...api.checks.map((check) => junitCase(api, check)),
      '  </testsuite>',
    ].join('\n');
  });
  if (report.errors.length > 0) {
    suites.push(
      [
        `  <testsuite name="setup" tests="${report.errors.length}" failures="0" errors="${report.errors.length}" skipped="0" time="0">`,
        ...report.errors.map((error, i) => `    <testcase classname="refreshd.contract" name="setup ${i + 1}" time="0">\n      <error message="${xml(error)}"/>\n    </testcase>`),
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const tests = report.totals.pass + report.totals.fail + report.totals.skipped + report.errors.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="refreshd contract" tests="${tests}" failures="${report.totals.fail}" errors="${report.errors.length}" skipped="${report.totals.skipped}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
