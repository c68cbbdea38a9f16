import type { AnyStateMachine, StateValue } from 'xstate';

/** A guard as a plain function of the context and the event. */
export type TableGuard<C, E> = (context: C, event: E) => boolean;

/**
 * A named action as a plain function: it may start work (answering later through `send`)
 * and may return the context fields it changes.
 */
export type TableAction<C, E> = (
  context: C,
  event: E,
  now: number,
  send: (event: E) => void,
) => Partial<C> | undefined;

/** A named delay: ms from `now` until the delayed transition is taken. */
export type TableDelay<C> = (context: C, now: number) => number;

/** What the names in a machine's definition stand for. */
export type TableImplementations<C, E> = Readonly<{
  guards: Readonly<Record<string, TableGuard<C, E>>>;
  actions: Readonly<Record<string, TableAction<C, E>>>;
  delays: Readonly<Record<string, TableDelay<C>>>;
}>;

/** One transition, its target resolved and its names bound. */
export type TableTransition<C, E> = Readonly<{
  guard: TableGuard<C, E> | undefined;
  actions: readonly TableAction<C, E>[];
  /** The states to exit are the active ones deeper than this depth (the transition's domain). */
  domainDepth: number;
  /** The states to enter, outermost first, down to an atomic state. */
  enter: readonly TableState<C, E>[];
  /** The atomic state the machine is in afterwards. */
  leaf: TableState<C, E>;
}>;

/** A delayed transition a state starts on entry: `after` its delay, `eventType` is sent. */
export type TableAfter<C> = Readonly<{ delay: TableDelay<C>; eventType: string }>;

/** One state of a compiled machine. */
export type TableState<C, E> = Readonly<{
  /** XState's id of the state, e.g. `occurrence.scheduled.armed`. */
  id: string;
  key: string;
  /** 0 for the root. */
  depth: number;
  /** From the root down to this state, both included. */
  path: readonly TableState<C, E>[];
  /** A top-level final state: entering it ends the machine. */
  final: boolean;
  entry: readonly TableAction<C, E>[];
  exit: readonly TableAction<C, E>[];
  after: readonly TableAfter<C>[];
  /** The state value XState reports while this atomic state is active. */
  value: StateValue;
  /** For an atomic state: the candidate transitions by event type, deepest state first. */
  on: ReadonlyMap<string, readonly TableTransition<C, E>[]>;
  /** For an atomic state: its eventless transitions and its ancestors', deepest first. */
  always: readonly TableTransition<C, E>[];
}>;

/** A machine compiled to plain tables: see {@link compileMachineTable}. */
export type MachineTable<C, E> = Readonly<{
  /** The states entered when the machine starts, root first, down to its initial atomic state. */
  start: readonly TableState<C, E>[];
}>;

/** The parts of an XState state node the compiler reads (public fields of `StateNode`). */
type Node = {
  id: string;
  key: string;
  type: string;
  parent?: Node | undefined;
  states: Record<string, Node>;
  config: { entry?: unknown; exit?: unknown; invoke?: unknown; history?: unknown };
  initial?: { target: readonly Node[] } | undefined;
  transitions: Map<string, readonly RawTransition[]>;
  always?: readonly RawTransition[] | undefined;
  after: readonly { delay: unknown; eventType: string }[];
};
type RawTransition = {
  target?: readonly Node[] | undefined;
  guard?: unknown;
  actions: readonly unknown[];
  reenter?: boolean;
  source: Node;
};

/**
 * Compiles an XState machine into tables a {@link MachineStepper} walks without an actor:
 * for each atomic state, the transitions each event type selects (its own first, then its
 * ancestors', in document order), each with its guard and actions bound and its exit depth
 * and entry path worked out once; the eventless transitions likewise; and each state's entry
 * and exit actions and `after` delays.
 *
 * The machine stays the one definition: the table is read off XState's own resolved state
 * nodes, and the names it uses are bound to the plain functions in `implementations` (the
 * same ones the machine's XState implementations wrap). It covers what the occurrence
 * machine uses — nested compound states, top-level final states, guarded and eventless
 * transitions, named entry, exit and transition actions, named `after` delays — and throws
 * for anything else (parallel or history states, invoked actors, inline or built-in actions,
 * guard objects, wildcard events, re-entering transitions), so a later edit to the machine
 * that the table cannot follow fails when the table is built rather than behaving
 * differently.
 */
export function compileMachineTable<C, E>(
  machine: AnyStateMachine,
  implementations: TableImplementations<C, E>,
): MachineTable<C, E> {
  const bindAction = (name: unknown, where: string): TableAction<C, E> => {
    const action = typeof name === 'string' ? implementations.actions[name] : undefined;
    if (action === undefined) {
      throw new Error(`machine table: ${where} has an action the table cannot run: ${show(name)}`);
    }
    return action;
  };
  const bindGuard = (guard: unknown, where: string): TableGuard<C, E> | undefined => {
    if (guard === undefined) return undefined;
    const bound = typeof guard === 'string' ? implementations.guards[guard] : undefined;
    if (bound === undefined) {
      throw new Error(`machine table: ${where} has a guard the table cannot run: ${show(guard)}`);
    }
    return bound;
  };
  const namedActions = (list: unknown, where: string): TableAction<C, E>[] =>
    (list === undefined ? [] : Array.isArray(list) ? list : [list]).map((name) =>
      bindAction(name, where),
    );

  type Mutable = {
    -readonly [K in keyof TableState<C, E>]: TableState<C, E>[K];
  };
  const states = new Map<Node, Mutable>();
  const visit = (node: Node, parent: Mutable | undefined): void => {
    if (node.type === 'parallel' || node.type === 'history') {
      throw new Error(`machine table: ${node.id} is a ${node.type} state`);
    }
    if (node.config.invoke !== undefined) {
      throw new Error(`machine table: ${node.id} invokes an actor`);
    }
    if (node.type === 'final' && parent !== undefined && parent.depth !== 0) {
      throw new Error(`machine table: ${node.id} is a nested final state`);
    }
    const state: Mutable = {
      id: node.id,
      key: node.key,
      depth: parent === undefined ? 0 : parent.depth + 1,
      path: [],
      final: node.type === 'final',
      entry: namedActions(node.config.entry, `${node.id} entry`),
      exit: namedActions(node.config.exit, `${node.id} exit`),
      after: node.after.map(({ delay, eventType }) => ({
        delay: bindDelay(delay, implementations, node.id),
        eventType,
      })),
      value: '',
      on: new Map(),
      always: [],
    };
    state.path = [...(parent?.path ?? []), state];
    states.set(node, state);
    for (const child of Object.values(node.states)) visit(child, state);
  };
  const root = machine.root as unknown as Node;
  visit(root, undefined);

  const stateOf = (node: Node): Mutable => states.get(node)!;
  const descend = (node: Node): Node[] => {
    const entered: Node[] = [];
    let current: Node | undefined = node;
    while (current !== undefined) {
      entered.push(current);
      current = current.type === 'compound' ? current.initial?.target[0] : undefined;
    }
    return entered;
  };
  const transitionOf = (raw: RawTransition, where: string): TableTransition<C, E> => {
    const targets = raw.target ?? [];
    if (targets.length !== 1) {
      throw new Error(`machine table: ${where} needs exactly one target (has ${targets.length})`);
    }
    const target = targets[0]!;
    if (raw.reenter === true || isAncestorOrSelf(target, raw.source)) {
      throw new Error(`machine table: ${where} re-enters ${target.id}`);
    }
    // XState's domain: the source when the target lies inside it, else the nearest proper
    // ancestor of the target that also contains the source.
    let domain: Node | undefined = isAncestorOrSelf(raw.source, target)
      ? raw.source
      : target.parent;
    while (domain !== undefined && !isAncestorOrSelf(domain, raw.source)) domain = domain.parent;
    domain ??= root;
    const down: Node[] = [];
    for (let node: Node | undefined = target; node !== domain; node = node.parent) {
      if (node === undefined) break;
      down.unshift(node);
    }
    const enter = [...down.slice(0, -1), ...descend(target)].map(stateOf);
    return {
      guard: bindGuard(raw.guard, where),
      actions: raw.actions.map((name) => bindAction(name, where)),
      domainDepth: stateOf(domain).depth,
      enter,
      leaf: enter[enter.length - 1]!,
    };
  };

  // Each node's own transitions, bound once.
  const own = new Map<Node, Map<string, TableTransition<C, E>[]>>();
  const ownAlways = new Map<Node, TableTransition<C, E>[]>();
  for (const node of states.keys()) {
    const byEvent = new Map<string, TableTransition<C, E>[]>();
    for (const [eventType, list] of node.transitions) {
      if (eventType.includes('*')) {
        throw new Error(`machine table: ${node.id} listens to the wildcard event ${eventType}`);
      }
      byEvent.set(
        eventType,
        list.map((raw) => transitionOf(raw, `${node.id} on ${eventType}`)),
      );
    }
    own.set(node, byEvent);
    ownAlways.set(
      node,
      (node.always ?? []).map((raw) => transitionOf(raw, `${node.id} always`)),
    );
  }
  // Atomic states: their candidates, deepest state first, and their state value.
  for (const [node, state] of states) {
    if (node.type === 'compound') continue;
    const chain: Node[] = [];
    for (let n: Node | undefined = node; n !== undefined; n = n.parent) chain.push(n);
    const on = new Map<string, TableTransition<C, E>[]>();
    for (const n of chain) {
      for (const [eventType, list] of own.get(n)!) {
        on.set(eventType, [...(on.get(eventType) ?? []), ...list]);
      }
    }
    state.on = on;
    state.always = chain.flatMap((n) => ownAlways.get(n)!);
    state.value = stateValueOf(chain.slice(0, -1).reverse());
  }
  return Object.freeze({ start: descend(root).map(stateOf) });
}

function bindDelay<C, E>(
  delay: unknown,
  implementations: TableImplementations<C, E>,
  where: string,
): TableDelay<C> {
  if (typeof delay === 'number') return () => delay;
  const bound = typeof delay === 'string' ? implementations.delays[delay] : undefined;
  if (bound === undefined) {
    throw new Error(`machine table: ${where} has a delay the table cannot run: ${show(delay)}`);
  }
  return bound;
}

/** True when `node` is `of` or lies inside it. */
function isAncestorOrSelf(of: Node, node: Node): boolean {
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) if (n === of) return true;
  return false;
}

/** XState's value for an atomic state below the root, given the states from the top down. */
function stateValueOf(path: readonly Node[]): StateValue {
  let value: StateValue = path[path.length - 1]!.key;
  for (let i = path.length - 2; i >= 0; i--) value = { [path[i]!.key]: value };
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'inline'})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
