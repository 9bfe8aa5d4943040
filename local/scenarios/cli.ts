/**
 * `npm run scenarios [-- NAME ...] [--json] [--speed N]`: replays Rotor's lifecycle through the
 * synthesized workflows and the real handlers, each scenario on fresh local stand-ins and a virtual
 * clock, and reports what every scenario did. Exits 1 when a scenario fails, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { runScenarios, SCENARIOS, type ScenarioReport } from './scenarios.ts';

function usageError(message: string): never {
  process.stderr.write(`scenarios: ${message}\n`);
  process.exit(2);
}

function table(reports: readonly ScenarioReport[], wallMs: number): string {
  const lines: string[] = [];
  for (const report of reports) {
    const mark = report.passed ? 'PASS' : 'FAIL';
    lines.push(
      `${mark}  ${report.name.padEnd(32)} ${report.virtualElapsed.padStart(12)} virtual  ${String(report.wallMs).padStart(6)} ms`,
    );
    lines.push(`      ${report.summary}`);
    const emails = report.emails.map((mail) => `${mail.event} → ${mail.to} (${mail.locale})`);
    lines.push(`      emails: ${emails.length === 0 ? 'none' : emails.join(', ')}`);
    const events = report.events.map(
      (event) => `${event.detailType}${event.schemaProblems.length > 0 ? ' (does not fit its schema)' : ''}`,
    );
    lines.push(`      events: ${events.length === 0 ? 'none' : events.join(', ')}`);
    const verdict = (value: boolean | null) => (value === null ? 'none' : value ? 'accepted' : 'refused');
    lines.push(`      old token ${verdict(report.verifies.old)}, new token ${verdict(report.verifies.new)}`);
    for (const problem of report.problems) lines.push(`      ✗ ${problem}`);
  }
  const passed = reports.filter((report) => report.passed).length;
  lines.push(`${passed} of ${reports.length} scenarios passed in ${(wallMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const speed = values.speed === undefined ? undefined : Number(values.speed);
  if (speed !== undefined && !(Number.isFinite(speed) && speed >= 1)) {
    usageError(`--speed must be a number of at least 1 (got ${values.speed})`);
  }
  const names = SCENARIOS.map((scenario) => scenario.name);
  const unknown = positionals.filter((name) => !names.includes(name));
  if (unknown.length > 0)
    usageError(`unknown scenario ${unknown.join(', ')}; choose from ${names.join(', ')}`);

  // The handlers' INFO lines would bury the report; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const started = performance.now();
  const reports = await runScenarios(positionals, speed === undefined ? {} : { speed });
  const wallMs = Math.round(performance.now() - started);
  if (values.json) {
    const passed = reports.every((report) => report.passed);
    process.stdout.write(`${JSON.stringify({ passed, wallMs, scenarios: reports }, null, 2)}\n`);
  } else {
    process.stdout.write(`${table(reports, wallMs)}\n`);
  }
  process.exitCode = reports.every((report) => report.passed) ? 0 : 1;
}

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, speed: { type: 'string' } },
  });
}

await main();
