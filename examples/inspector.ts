/**
 * Watching the actors: the supervisor and one actor per occurrence, through XState's
 * `inspect` option.
 *
 * By default a small local observer prints each actor's state as it changes and counts
 * what it saw. With `PLANFLOW_INSPECT=1` (or `--stately`) it also loads `@statelyai/inspect`
 * — only then, with a dynamic import — and creates a WebSocket inspector with
 * `autoStart: false`: nothing is sent anywhere unless `PLANFLOW_INSPECT_URL` names a server
 * you run (e.g. `ws://localhost:8080`) and something listens there. Either way the
 * inspector and the scheduler are stopped at the end, so the process exits by itself.
 *
 * Run: `npx tsx examples/inspector.ts` or `PLANFLOW_INSPECT=1 npx tsx examples/inspector.ts`
 * (about 3 seconds).
 */
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { InspectionEvent, Observer } from 'xstate';
import { type Clock, createScheduler, memoryStore, systemClock } from '../src/index.js';

export type InspectorOptions = Readonly<{
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
  /** Also load the Stately inspector. @default PLANFLOW_INSPECT=1 or --stately */
  stately?: boolean;
  /** Where a Stately inspector server listens; unset = never connect. @default PLANFLOW_INSPECT_URL */
  url?: string;
}>;

export type InspectorResult = Readonly<{
  inspector: 'local' | 'stately' | 'stately-connected';
  /** Actors created, by machine id. */
  actors: Readonly<Record<string, number>>;
  /** Events the occurrence actors received, by type (user commands and effect answers). */
  events: Readonly<Record<string, number>>;
  /** The states each occurrence actor went through, by task id. */
  states: Readonly<Record<string, readonly string[]>>;
}>;

/** `{ triggered: 'running' }` → `triggered.running`. */
const stateName = (value: unknown): string =>
  typeof value === 'object' && value !== null
    ? Object.entries(value)
        .map(([k, v]) => `${k}.${stateName(v)}`)
        .join(',')
    : String(value);

/** The machine id of an inspected actor (`occurrence`, `supervisor`). */
function actorName(actorRef: unknown): string {
  const src = (actorRef as { src?: unknown }).src;
  if (typeof src === 'string') return src;
  const id = (src as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : 'actor';
}

/** Runs the scheduler under inspection; resolves with what the observer saw. */
export async function runInspector(options: InspectorOptions = {}): Promise<InspectorResult> {
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const stately = options.stately ?? process.env.PLANFLOW_INSPECT === '1';
  const url = options.url ?? process.env.PLANFLOW_INSPECT_URL;

  // The local observer: counts actors and prints every occurrence's and the supervisor's state.
  const actors: Record<string, number> = {};
  const events: Record<string, number> = {};
  const states: Record<string, string[]> = {};
  const local: Observer<InspectionEvent> = {
    next: (event) => {
      const name = actorName(event.actorRef);
      if (event.type === '@xstate.actor') actors[name] = (actors[name] ?? 0) + 1;
      if (event.type === '@xstate.event' && name === 'occurrence') {
        // e.g. CLAIM_ANSWERED, RUN_SETTLED, RECORDED: the runtime's answers to its effects.
        events[event.event.type] = (events[event.event.type] ?? 0) + 1;
      }
      if (event.type !== '@xstate.snapshot') return;
      const snapshot = event.snapshot as { value?: unknown; context?: unknown };
      const context = snapshot.context as { occurrence?: { taskId: string } } | undefined;
      const who = context?.occurrence?.taskId ?? name;
      const label = who === name ? name : `${name} ${who}`;
      const state = stateName(snapshot.value);
      const seen = states[who] ?? [];
      states[who] = seen;
      if (seen.at(-1) !== state) {
        seen.push(state);
        print(`  ${label.padEnd(18)} → ${state}`);
      }
    },
  };

  let inspector: { inspect: Observer<InspectionEvent>; start(): void; stop(): void } | undefined;
  let kind: InspectorResult['inspector'] = 'local';
  if (stately) {
    // Loaded only when asked for: a dev dependency, never part of a production start-up.
    const { createWebSocketInspector } = await import('@statelyai/inspect');
    inspector = createWebSocketInspector({ url: url ?? 'ws://localhost:8080', autoStart: false });
    kind = 'stately';
    // The adapter retries a failed connection every 5 s, even after stop(), which would keep
    // the process alive: connect only to a server that is actually listening.
    if (url !== undefined && (await isListening(url))) {
      inspector.start();
      kind = 'stately-connected';
    }
    print(`inspector: @statelyai/inspect loaded, ${kind === 'stately' ? 'not connected' : url}`);
  }
  const inspect: Observer<InspectionEvent> = {
    next: (event) => {
      local.next?.(event);
      inspector?.inspect.next?.(event);
    },
  };

  // horizonMs: Infinity gives every pending occurrence a live actor, so all are visible.
  const scheduler = createScheduler({
    store: memoryStore({ clock }),
    clock,
    inspect,
    horizonMs: Number.POSITIVE_INFINITY,
  });
  const at = (ms: number) => new Date(clock.now() + ms).toISOString();
  await scheduler.defineTask({ id: 'stretch', title: 'Stretch', startAt: at(500) });
  await scheduler.defineTask({ id: 'later', title: 'Later today', startAt: at(3_600_000) });
  await scheduler.start();
  await sleep(1_000);
  await scheduler.pause(); // waiting actors move to scheduled.paused
  await scheduler.start(); // …and back to scheduled.armed
  await sleep(500);
  await scheduler.stop();
  inspector?.stop();
  print(
    `actors observed: ${Object.entries(actors)
      .map(([name, n]) => `${name} ×${n}`)
      .join(', ')}`,
  );
  return { inspector: kind, actors, events, states };
}

/** True when something accepts TCP connections at the URL's host and port. */
function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 80) });
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runInspector(process.argv.includes('--stately') ? { stately: true } : {});
}
