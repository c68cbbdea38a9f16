import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { DurableQueue, DurableSubject } from './durableQueue.js';
import { DURABLE_SETTINGS, REDIS_URL } from './durableSettings.js';

const QUEUE = 'bench';
const settings = DURABLE_SETTINGS.bullmq!.settings;

type Payload = Readonly<{ due: number }>;

const connection = () => {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

class BullmqQueue implements DurableQueue {
  readonly #prefix: string;
  #queue: Queue | undefined;
  #worker: Worker | undefined;
  #done = 0;
  readonly #phases: Record<string, number> = {};

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  async prepare(dues: Float64Array): Promise<() => Promise<void>> {
    const queue = new Queue<Payload>(QUEUE, { connection: connection(), prefix: this.#prefix });
    await queue.waitUntilReady();
    this.#queue = queue;
    const chunk = Number(settings.addBulkChunk);
    return async () => {
      for (let i = 0; i < dues.length; i += chunk) {
        // A delayed job is given its delay, not its time: computed as late as possible.
        const now = Date.now();
        const jobs = Array.from(dues.subarray(i, i + chunk), (due) => ({
          name: QUEUE,
          data: { due },
          opts: { delay: Math.max(0, due - now) },
        }));
        await queue.addBulk(jobs);
      }
    };
  }

  async startWorker(onRun: (dueMs: number) => void): Promise<void> {
    const started = performance.now();
    const worker = new Worker<Payload>(
      QUEUE,
      async (job) => {
        onRun(job.data.due);
      },
      {
        connection: connection(),
        prefix: this.#prefix,
        concurrency: Number(settings.concurrency),
      },
    );
    worker.on('error', (error) => process.stderr.write(`bullmq: ${error.message}\n`));
    // Emitted once the job was moved to `completed` in Redis.
    worker.on('completed', () => {
      this.#done++;
    });
    await worker.waitUntilReady();
    this.#worker = worker;
    this.#phases.workerReadyMs = performance.now() - started;
  }

  async doneCount(): Promise<number> {
    return this.#done;
  }

  phases(): Readonly<Record<string, number>> {
    return this.#phases;
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#queue?.close();
  }
}

/** BullMQ 6 on Redis, one key prefix per case; dropping deletes every key under it. */
export const bullmqDurable: DurableSubject = {
  namespace: () => `bench-bullmq-${process.pid}-${randomBytes(4).toString('hex')}`,
  open: async (prefix) => new BullmqQueue(prefix),
  async drop(prefix) {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  },
};
