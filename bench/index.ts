/**
 * `npm run bench [-- --json] [-- --only name[,name]]`: Rotor's benchmarks. Each section measures
 * its figures and the baseline they are compared with in the same run; `--json` prints one JSON
 * document, else a readable report. Exits 1 when a section fails or misses its `target`.
 *
 * To add a section, import its `measure...()` and add one line to {@link sections}.
 */

import os from 'node:os';
import { parseArgs } from 'node:util';
import { measureBundles, renderBundles } from './bundles.ts';
import { measureDueSelection } from './dueSelection.ts';
import { type BenchSection, findTargets, renderSection, selectSections } from './harness.ts';
import { measureRevocationLatency } from './revocation.ts';
import { measureRotationCost, renderRotationCost } from './rotationCost.ts';
import { measureVerifyThroughput } from './verify.ts';

/** Every section, in the order they run. */
const sections: readonly BenchSection[] = [
  {
    name: 'verify',
    title: '(a) verify with a warm cache, against a bare SHA-256 + Map lookup and a GetSecretValue per call',
    run: () => measureVerifyThroughput(),
  },
  {
    name: 'revocation',
    title: '(b) from expire-now to the first refusal of the old token, against the cache TTL',
    run: () => measureRevocationLatency(),
  },
  {
    name: 'bundles',
    title: '(c) each Lambda bundle: bytes against 300 KB, module load against a bare `node -e 0`',
    run: () => measureBundles(),
    render: renderBundles,
  },
  {
    name: 'due-selection',
    title: "(d) 100,000 apps, 1% due: the sweep's Query on the `due` index against a full Scan",
    run: () => measureDueSelection(),
  },
  {
    name: 'rotation-cost',
    title: 'one expire-later rotation counted, and 1,000 apps a year priced',
    run: measureRotationCost,
    render: renderRotationCost,
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, only: { type: 'string' } },
  });
  // The handlers' INFO lines would bury the figures; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // The functions' metric lines (EMF, on stdout) would break `--json`; CloudWatch is not here anyway.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The bench runs on this machine's Node.js 20; the Lambda runtime is Node.js 24.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let chosen: BenchSection[];
  try {
    chosen = selectSections(sections, values.only);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }

  const results: Record<string, Record<string, unknown>> = {};
  const failures: Record<string, string> = {};
  const wallMs: Record<string, number> = {};
  for (const section of chosen) {
    if (!values.json) console.log(`\n${section.name}: ${section.title}`);
    const started = performance.now();
    try {
      const result = await section.run();
      results[section.name] = result;
      if (!values.json) {
        const lines = section.render
          ? section.render(result as never)
          : renderSection(section.name, result).slice(1);
        console.log(lines.join('\n'));
      }
    } catch (error) {
      failures[section.name] = error instanceof Error ? error.message : String(error);
      if (!values.json) console.log(`  FAILED: ${failures[section.name]}`);
    }
    wallMs[section.name] = Math.round(performance.now() - started);
  }

  const targets = findTargets(results);
  const report = {
    measuredAt: new Date().toISOString(),
    machine: {
      node: process.versions.node,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
    },
    sections: results,
    targets: targets.map(({ path, rule, met }) => ({ section: path.split('.')[0], rule, met })),
    ...(Object.keys(failures).length > 0 ? { failures } : {}),
    wallMs,
  };
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log('\ntargets');
    for (const target of report.targets)
      console.log(`  ${target.met ? 'met   ' : 'MISSED'}  ${target.section}: ${target.rule}`);
  }
  return Object.keys(failures).length > 0 || targets.some((target) => !target.met) ? 1 : 0;
}

process.exitCode = await main();
