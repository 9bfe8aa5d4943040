import {
  DescribeSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

/**
 * The staging labels of a secret's versions, and the label moves of a rotation. Each move checks the
 * labels first and, when Secrets Manager refuses it because another caller moved the label meanwhile
 * (InvalidParameterException "... is not attached to version ..."), checks again: a move that someone
 * else already made is done, not failed. So every function here may run twice, or race itself.
 */
export type VersionStages = Readonly<Record<string, readonly string[]>>;

export async function stagesOf(
  secretsManager: SecretsManagerClient,
  secretArn: string,
): Promise<VersionStages> {
  const secret = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
  return secret.VersionIdsToStages ?? {};
}

/** The version that holds `label`, if one does. */
export function holderOf(stages: VersionStages, label: string): string | undefined {
  return Object.entries(stages).find(([, labels]) => labels.includes(label))?.[0];
}

function isLabelRace(error: unknown): boolean {
  return (error as Error).name === 'InvalidParameterException';
}

/** Removes `label` from `versionId` if it is there. */
export async function removeLabel(
  secretsManager: SecretsManagerClient,
  secretArn: string,
  label: string,
  versionId: string,
): Promise<void> {
  if (!(await stagesOf(secretsManager, secretArn))[versionId]?.includes(label)) return;
  try {
    await secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: label,
        RemoveFromVersionId: versionId,
      }),
    );
  } catch (error) {
    if (!isLabelRace(error) || (await stagesOf(secretsManager, secretArn))[versionId]?.includes(label)) {
      throw error;
    }
  }
}

/**
 * Moves AWSCURRENT to `versionId` from whichever version holds it (Secrets Manager then moves
 * AWSPREVIOUS to that version). Nothing happens when `versionId` is AWSCURRENT already.
 */
export async function moveCurrentTo(
  secretsManager: SecretsManagerClient,
  secretArn: string,
  versionId: string,
): Promise<void> {
  const holder = holderOf(await stagesOf(secretsManager, secretArn), 'AWSCURRENT');
  if (holder === versionId) return;
  try {
    await secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: versionId,
        ...(holder ? { RemoveFromVersionId: holder } : {}),
      }),
    );
  } catch (error) {
    if (!isLabelRace(error)) throw error;
    if (holderOf(await stagesOf(secretsManager, secretArn), 'AWSCURRENT') !== versionId) throw error;
  }
}

/**
 * Removes AWSPENDING from every version but `keep`: a rotation that ended while Secrets Manager was still
 * running the hook can leave a pending version behind, and Secrets Manager refuses every later rotation
 * (with another ClientRequestToken) while one exists.
 */
export async function clearStalePending(
  secretsManager: SecretsManagerClient,
  secretArn: string,
  keep?: string,
): Promise<void> {
  const stages = await stagesOf(secretsManager, secretArn);
  for (const [versionId, labels] of Object.entries(stages)) {
    if (versionId !== keep && labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT')) {
      await removeLabel(secretsManager, secretArn, 'AWSPENDING', versionId);
    }
  }
}
