import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { IamAuthority } from './iam/authority.ts';
import { type LocalNames, resolveIntrinsics, type Template } from './template.ts';

/** A daily EventBridge Scheduler schedule of the stack, as local mode runs it. */
export interface LocalSchedule {
  readonly logicalId: string;
  readonly hour: number;
  readonly minute: number;
  readonly timeZone: string;
  /** The state machine it starts. */
  readonly targetArn: string;
  readonly input: string;
}

/** `cron(M H * * ? *)`: the daily schedules Rotor's stack has. */
const DAILY_CRON = /^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$/;

/** Every schedule of the template. Local mode runs daily cron schedules; any other is refused with its expression. */
export function schedulesOf(template: Template, names: LocalNames): LocalSchedule[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Scheduler::Schedule')
    .map(([logicalId, resource]) => {
      const properties = resolveIntrinsics(resource.Properties ?? {}, template, names) as {
        ScheduleExpression: string;
        ScheduleExpressionTimezone?: string;
        Target: { Arn: string; Input?: string };
      };
      const cron = DAILY_CRON.exec(properties.ScheduleExpression);
      if (!cron) {
        throw new Error(
          `local mode runs daily schedules (cron(M H * * ? *)) only; ${logicalId} has ${properties.ScheduleExpression}`,
        );
      }
      return {
        logicalId,
        minute: Number(cron[1]),
        hour: Number(cron[2]),
        timeZone: properties.ScheduleExpressionTimezone ?? 'UTC',
        targetArn: properties.Target.Arn,
        input: properties.Target.Input ?? '{}',
      };
    });
}

/** The wall-clock date and time at `ms` in `timeZone`. */
function zoned(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
      .formatToParts(ms)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute', number>;
  return parts;
}

/** The instant at which the wall clock of `timeZone` shows the given date and time. */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, timeZone: string) {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  for (let round = 0; round < 3; round += 1) {
    const shown = zoned(guess, timeZone);
    guess += wanted - Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute);
  }
  return guess;
}

/** The first time after `afterMs` at which a daily schedule fires (its hour and minute in its time zone). */
export function nextFireTime(
  schedule: Pick<LocalSchedule, 'hour' | 'minute' | 'timeZone'>,
  afterMs: number,
): number {
  const today = zoned(afterMs, schedule.timeZone);
  for (let days = 0; days <= 2; days += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const at = instantOf(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      schedule.hour,
      schedule.minute,
      schedule.timeZone,
    );
    if (at > afterMs) return at;
  }
  throw new Error(`no next fire time for ${schedule.hour}:${schedule.minute} ${schedule.timeZone}`);
}

export interface LocalScheduler {
  /** When each schedule fires next (virtual time), by logical id. */
  readonly next: ReadonlyMap<string, number>;
  close(): void;
}

/**
 * Runs the stack's schedules on local mode's clock, as EventBridge Scheduler does: when virtual time
 * passes a schedule's time, it starts the target state machine as the schedule's role (the Step
 * Functions stand-in judges that call by IAM like any other). It watches the clock rather than
 * sleeping on it, so it never moves virtual time itself; a jump across several firing times starts
 * one execution.
 */
export function startLocalScheduler(options: {
  readonly template: Template;
  readonly names: LocalNames;
  readonly iam: IamAuthority;
  readonly stepFunctionsUrl: string;
  /** @default 250 */
  readonly pollMs?: number;
  /** Told of a start that failed (its error), e.g. an AccessDeniedException. @default a line on stderr */
  readonly onError?: (schedule: LocalSchedule, error: Error) => void;
}): LocalScheduler {
  const schedules = schedulesOf(options.template, options.names);
  const next = new Map(schedules.map((schedule) => [schedule.logicalId, nextFireTime(schedule, Date.now())]));
  const clients = new Map(
    schedules.map((schedule) => {
      const resource = options.template.Resources[schedule.logicalId];
      if (!resource) throw new Error(`no schedule ${schedule.logicalId}`);
      const { credentials } = options.iam.principalOf(resource, `scheduler-${schedule.logicalId}`);
      const client = new SFNClient({
        endpoint: options.stepFunctionsUrl,
        region: options.names.region,
        credentials,
        maxAttempts: 4,
      });
      return [schedule.logicalId, client];
    }),
  );
  const onError =
    options.onError ??
    ((schedule: LocalSchedule, error: Error) =>
      process.stderr.write(
        `local scheduler: ${schedule.logicalId} could not start its target: ${error.message}\n`,
      ));
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const schedule of schedules) {
        const due = next.get(schedule.logicalId) ?? Number.POSITIVE_INFINITY;
        const now = Date.now();
        if (now < due) continue;
        next.set(schedule.logicalId, nextFireTime(schedule, now));
        await clients
          .get(schedule.logicalId)
          ?.send(
            new StartExecutionCommand({
              stateMachineArn: schedule.targetArn,
              name: `scheduled-${randomUUID()}`,
              input: schedule.input,
            }),
          )
          .catch((error: Error) => onError(schedule, error));
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), options.pollMs ?? 250);
  timer.unref();
  return {
    next,
    close: () => {
      clearInterval(timer);
      for (const client of clients.values()) client.destroy();
    },
  };
}
