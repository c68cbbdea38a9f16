import type Pg from 'pg';
import { channelOf } from './pgSchema.js';

/** How long the listening connection waits before it reconnects after losing the server. */
const RECONNECT_MS = 1000;

/**
 * Hears every commit on a schema, from any process: each writer's commit `pg_notify`s the
 * schema's channel with its new head seq (see the group commit), and this keeps one
 * connection in `LISTEN` on it while someone is subscribed. After it lost and regained the
 * server, it reports the head it reads then, since notifications sent meanwhile are gone.
 */
export class PgHeadWatch {
  readonly #connect: () => Pg.Client;
  readonly #readHead: () => Promise<number>;
  readonly #channel: string;
  readonly #listeners = new Set<(seq: number) => void>();
  #client: Pg.Client | undefined;
  #starting: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(schema: string, connect: () => Pg.Client, readHead: () => Promise<number>) {
    this.#channel = channelOf(schema);
    this.#connect = connect;
    this.#readHead = readHead;
  }

  /** Calls `listener` with the head seq after each commit on the schema; returns the unsubscribe. */
  subscribe(listener: (seq: number) => void): () => void {
    this.#listeners.add(listener);
    if (this.#client === undefined && this.#starting === undefined) void this.#start(false);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Resolves once the channel is being listened to (for callers that must not miss one). */
  async listening(): Promise<void> {
    await this.#starting;
  }

  #emit(seq: number): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(seq);
      } catch {
        // A listener's failure is its own; the others still hear the head.
      }
    }
  }

  #start(afterLoss: boolean): Promise<void> {
    const client = this.#connect();
    this.#client = client;
    client.on('notification', (message) => {
      if (message.channel !== this.#channel) return;
      const seq = Number(message.payload);
      if (Number.isSafeInteger(seq)) this.#emit(seq);
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    this.#starting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN "${this.#channel}"`);
        if (afterLoss) this.#emit(await this.#readHead());
      } catch {
        this.#lost(client);
      } finally {
        this.#starting = undefined;
      }
    })();
    return this.#starting;
  }

  #lost(client: Pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    if (this.#closed || this.#listeners.size === 0 || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed && this.#listeners.size > 0 && this.#client === undefined) {
        void this.#start(true);
      }
    }, RECONNECT_MS);
    this.#timer.unref?.();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
    }
  }

  /** Stops listening for good. */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#stop();
  }
}
