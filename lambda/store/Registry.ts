import { AppStore } from './AppStore.ts';
import { AuditStore } from './AuditStore.ts';
import { ConsoleStore } from './ConsoleStore.ts';
import type { TableOptions } from './items.ts';
import { type NotificationLedger, notificationLedger } from './notificationLedger.ts';
import { RotationStore } from './RotationStore.ts';
import { TokenStore } from './TokenStore.ts';

/** The registry's table, as its callers name it. */
export type RegistryOptions = TableOptions;

/**
 * The registry in DynamoDB, one table, by what it stores: the apps with their lifecycle state and its
 * conditional transitions, the rotation history, token versions with their use counts, the audit log,
 * and the ledger of emails.
 */
export class Registry {
  /** Each app's item: its state, its running rotation and its outbox. */
  public readonly apps: AppStore;
  /** The history record of every rotation. */
  public readonly rotations: RotationStore;
  /** Token hashes, their status and their hourly use counts. */
  public readonly tokens: TokenStore;
  /** The audit log. */
  public readonly audit: AuditStore;
  /** The ledger of emails on the same table (see notificationLedger.ts). */
  public readonly notifications: NotificationLedger;
  /** The console's admin lists, sign-in links, sessions and email buttons. */
  public readonly console: ConsoleStore;

  public constructor(options: RegistryOptions) {
    this.rotations = new RotationStore(options);
    this.apps = new AppStore(options, this.rotations);
    this.tokens = new TokenStore(options);
    this.audit = new AuditStore(options);
    this.notifications = notificationLedger(options);
    this.console = new ConsoleStore(options);
  }
}
