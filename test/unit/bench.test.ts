import { describe, expect, it } from 'vitest';
import { appItem, benchAppRecords } from '../../bench/benchApps.ts';
import { requiredSettingNames } from '../../bench/bundles.ts';
import {
  type BenchSection,
  findTargets,
  median,
  ratio,
  renderSection,
  selectSections,
} from '../../bench/harness.ts';

describe('Function: median', () => {
  it('takes the middle value, or the mean of the middle two, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('Function: ratio', () => {
  it('says how many times the baseline a figure is, to two decimals', () => {
    expect(ratio(2103.45, 16.5)).toBe(127.48);
    expect(ratio(1, 3)).toBe(0.33);
  });

  it('refuses a zero baseline', () => {
    expect(() => ratio(1, 0)).toThrow(RangeError);
  });
});

describe('Function: findTargets', () => {
  it('finds every { rule, met } with the section it belongs to', () => {
    // Prepare
    const report = {
      bundles: { maxBytes: 1, target: { rule: 'small', met: true } },
      'due-selection': { nested: { target: { rule: 'fast', met: false } } },
      other: { target: 'not a target' },
    };

    // Act
    const targets = findTargets(report);

    // Assess
    expect(targets).toEqual([
      { path: 'bundles', rule: 'small', met: true },
      { path: 'due-selection.nested', rule: 'fast', met: false },
    ]);
  });
});

describe('Function: renderSection', () => {
  it('prints nested figures as aligned dotted keys, numbers with separators', () => {
    const lines = renderSection('due-selection', {
      apps: 100_000,
      query: { medianMs: 16.456 },
      found: ['a', 'b'],
    });
    expect(lines).toEqual([
      'due-selection',
      '  apps            100,000',
      '  query.medianMs  16.46',
      '  found           a, b',
    ]);
  });
});

describe('Function: selectSections', () => {
  const section = (name: string): BenchSection => ({ name, title: name, run: async () => ({}) });
  const all = [section('verify'), section('bundles'), section('due-selection')];

  it('runs every section without --only, and the named ones in their usual order with it', () => {
    expect(selectSections(all).map((s) => s.name)).toEqual(['verify', 'bundles', 'due-selection']);
    expect(selectSections(all, 'due-selection, verify').map((s) => s.name)).toEqual([
      'verify',
      'due-selection',
    ]);
  });

  it('refuses an unknown name and lists the known ones', () => {
    expect(() => selectSections(all, 'bundles,nope')).toThrow(
      'unknown section nope; the sections are verify, bundles, due-selection',
    );
  });
});

describe('Function: benchAppRecords', () => {
  it('makes exactly 1% of 10,000 apps due now and every other one due in the future', () => {
    // Prepare
    const now = new Date('2026-11-30T06:00:00.000Z');

    // Act
    const items = benchAppRecords(10_000, 100, now).map(appItem);

    // Assess
    const due = items.filter((item) => String(item.dueAt) <= now.toISOString());
    expect(due).toHaveLength(100);
    expect(new Set(items.map((item) => item.pk)).size).toBe(10_000);
    expect(items.every((item) => item.sk === 'APP' && item.dueShard === 'DUE')).toBe(true);
    expect(due[0]).toMatchObject({ pk: 'APP#bench-app-000000', appId: 'bench-app-000000', state: 'ACTIVE' });
  });
});

describe('Function: requiredSettingNames', () => {
  it('finds the settings read with requiredSetting, but not those in comments', () => {
    const sources = [
      "/**\n * @example\n * requiredSetting('IN_TSDOC');\n */\nconst a = requiredSetting('SENDER_ADDRESS');",
      '// requiredSetting(\'IN_A_COMMENT\')\nconst b = requiredSetting("ROTATION_HOOK_ARN");',
    ];
    expect(requiredSettingNames(sources)).toEqual(['ROTATION_HOOK_ARN', 'SENDER_ADDRESS']);
  });
});
