import { describe, expect, it } from 'vitest';
import { rotationPath, sweepPath } from '../../lambda/contract/workflows.ts';
import { synthesizeTemplate } from '../../local/template.ts';

describe('Contract: workflows', () => {
  it('names state paths only by the task answers own fields, which the compiler checks', () => {
    expect(rotationPath('promotion', 'noticeAt')).toBe('$.promotion.noticeAt');
    expect(sweepPath('due', 'batches')).toBe('$.due.batches');
    // @ts-expect-error: CheckPromotion answers no field "notice"; a rename breaks the build, not a rotation.
    rotationPath('promotion', 'notice');
    // @ts-expect-error: the sweep state has no "promotion".
    sweepPath('promotion');
  });

  it('leaves no hand-written path in the synthesized definitions that the contract does not know', async () => {
    const template = await synthesizeTemplate();
    const definitions = Object.values(
      template.Resources as Record<string, { Type: string; Properties?: { DefinitionString?: unknown } }>,
    )
      .filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')
      .map((resource) => JSON.stringify(resource.Properties?.DefinitionString));
    expect(definitions).toHaveLength(4);
    const known = new Set([
      'appId',
      'rotationId',
      'mode',
      'graceSeconds',
      'trigger',
      'startedBy',
      'reason',
      'adopt',
      'executionName',
      'started',
      'promotion',
      'grace',
      'expiry',
      'rollback',
      'reminder',
      'handoff',
      'timedOut',
      'error',
      'due',
      'at',
      'items',
      'deliver',
      'action',
      'delivered',
      'giveUp',
      'recorded',
    ]);
    const used = definitions.flatMap((text) =>
      [...text.matchAll(/(?<!\$)\$\.([A-Za-z]+)/g)].map((match) => match[1]),
    );
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((key) => !known.has(key as string))).toEqual([]);
  });
});
