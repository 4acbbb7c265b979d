import { CHECK_NAMES } from './checks';
import type { ApiReport, ContractReport, PrintedRequest, PrintedResponse, ReportedCheck, ReportedFailure } from './runner';

/** Failing cases printed per check; the rest are counted (the JUnit file has them all). */
const FAILURES_SHOWN_PER_CHECK = 5;
const BODY_SHOWN_CHARS = 1000;

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text);

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

/** Checks down, apis across: pass with the number of cases judged, FAIL failing/judged, skipped. */
export function formatTable(report: ContractReport): string {
  const header = ['check', ...report.apis.map((api) => api.api)];
  const rows = CHECK_NAMES.map((name) => [
    name,
    ...report.apis.map((api) => {
      const check = api.checks.find((c) => c.check === name);
      return check ? cell(check) : '-';
    }),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (row: string[]) => row.map((value, column) => value.padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
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
  return [
    `  ${api} · ${check} · ${failure.operationId} · ${failure.caseName}`,
    `    ${failure.message}`,
    ...formatRequest(failure.request),
    ...formatResponse(failure.response),
  ];
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

export function formatSummary(report: ContractReport): string {
  const requests = report.apis.reduce((sum, api) => sum + api.requests, 0);
  const errors = report.errors.length > 0 ? `, ${report.errors.length} error(s)` : '';
  return (
    `${report.ok ? 'PASSED' : 'FAILED'}: ${report.totals.pass} passed, ${report.totals.fail} failed, ${report.totals.skipped} skipped${errors} ` +
    `(${report.apis.length} api(s), ${requests} requests, ${(report.durationMs / 1000).toFixed(1)} s, ${report.baseUrl})`
  );
}

/** What `refreshd contract` prints: the table, the failing cases, the summary line. */
export function formatConsoleReport(report: ContractReport): string {
  const details = formatDetails(report);
  return [formatTable(report), '', ...(details ? [details] : []), formatSummary(report)].join('\n');
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
      `    <properties><property name="base_url" value="${xml(report.baseUrl)}"/><property name="requests" value="${api.requests}"/></properties>`,
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
