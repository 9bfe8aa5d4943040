declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a CreateTable takes to become ACTIVE. */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A LevelDB folder; in memory without it. */
    path?: string;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
