import pg from 'pg';

/** A trigger as the log records it: when, by which instance, of which task. */
export type FleetTrigger = Readonly<{
  seq: number;
  atMs: number;
  instanceId: string;
  taskId: string;
}>;

/**
 * Read-only questions the Fleet scenarios ask of the schema the instances share, on a
 * connection of their own: every figure comes from what the log recorded (its entries' times,
 * written by the instance that recorded each), not from what a process says it did.
 */
export class FleetLog {
  readonly #client: pg.Client;
  readonly #q: string;

  private constructor(client: pg.Client, schema: string) {
    this.#client = client;
    this.#q = `"${schema}"`;
  }

  static async open(url: string, schema: string): Promise<FleetLog> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new FleetLog(client, schema);
  }

  async close(): Promise<void> {
    await this.#client.end();
  }

  async count(type: string): Promise<number> {
    const { rows } = await this.#client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.#q}.entries WHERE type = $1`,
      [type],
    );
    return Number(rows[0]!.n);
  }

  /** The highest sequence number recorded so far (0 for an empty log). */
  async head(): Promise<number> {
    const { rows } = await this.#client.query<{ seq: string | null }>(
      `SELECT max(seq) AS seq FROM ${this.#q}.entries`,
    );
    return Number(rows[0]!.seq ?? 0);
  }

  /** The time of the first entry of `first` and of the last entry of `last`, epoch ms. */
  async span(first: string, last: string): Promise<Readonly<{ fromMs: number; toMs: number }>> {
    const { rows } = await this.#client.query<{ a: string; b: string }>(
      `SELECT (SELECT min(time) FROM ${this.#q}.entries WHERE type = $1) AS a,
              (SELECT max(time) FROM ${this.#q}.entries WHERE type = $2) AS b`,
      [first, last],
    );
    return { fromMs: Date.parse(rows[0]!.a), toMs: Date.parse(rows[0]!.b) };
  }

  /** How many triggers each instance recorded (`occurrence.triggered.data.instanceId`). */
  async triggersPerInstance(): Promise<Map<string, number>> {
    const { rows } = await this.#client.query<{ id: string; n: string }>(
      `SELECT data::json->>'instanceId' AS id, count(*) AS n FROM ${this.#q}.entries
        WHERE type = 'occurrence.triggered' GROUP BY 1 ORDER BY 1`,
    );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  /** Every trigger recorded after sequence number `afterSeq`, in log order. */
  async triggersAfter(afterSeq: number): Promise<FleetTrigger[]> {
    const { rows } = await this.#client.query<{
      seq: string;
      time: string;
      instance: string;
      task: string;
    }>(
      `SELECT e.seq, e.time, e.data::json->>'instanceId' AS instance, o.task_id AS task
         FROM ${this.#q}.entries e
         JOIN ${this.#q}.occurrences o ON o.id = e.data::json->>'occurrenceId'
        WHERE e.type = 'occurrence.triggered' AND e.seq > $1 ORDER BY e.seq`,
      [afterSeq],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      atMs: Date.parse(r.time),
      instanceId: r.instance,
      taskId: r.task,
    }));
  }

  /** When each run `instanceId` left running was recorded interrupted (after `afterSeq`). */
  async interruptedOf(instanceId: string, afterSeq: number): Promise<number[]> {
    const { rows } = await this.#client.query<{ time: string }>(
      `SELECT time FROM ${this.#q}.entries
        WHERE type = 'occurrence.failed' AND seq > $1
          AND data::json->'error'->>'name' = 'InterruptedError'
          AND data::json->'error'->>'message' LIKE $2
        ORDER BY seq`,
      [afterSeq, `instance "${instanceId}" stopped%`],
    );
    return rows.map((r) => Date.parse(r.time));
  }
}
