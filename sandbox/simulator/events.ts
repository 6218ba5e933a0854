/**
 * The simulated Amazon EventBridge: the default event bus of every account and Region, rules with
 * event patterns, targets with Input / InputPath / InputTransformer, and delivery of matched events
 * to one target handler registered by the test or the local environment.
 *
 * Delivery is asynchronous (after the call that emitted the event returns) on the microtask queue —
 * never on virtual-clock timers, so emitting an event cannot make virtual time run on by itself.
 * Events are kept in `emitted` whether or not a rule matches; with no handler set, matched events are
 * not delivered (nothing is recorded in `deliveries`).
 *
 * Sources: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
import type { VirtualClock } from './clock';
import { SandboxUsageError } from './errors';

/** One target of a rule (PutTargets shape, camel-cased). */
export interface EventTargetInput {
  /** Target id, 1-64 of `[.\-_A-Za-z0-9]`, unique within the rule. */
  readonly id: string;
  /** Target ARN (e.g. a state machine). */
  readonly arn: string;
  /** Role EventBridge assumes to call the target. */
  readonly roleArn?: string;
  /** Constant JSON text passed instead of the event. */
  readonly input?: string;
  /** JSONPath (`$.detail`) of the part of the event to pass. */
  readonly inputPath?: string;
  /** Builds the target input from the event; see {@link applyInputTransformer}. */
  readonly inputTransformer?: { readonly InputPathsMap?: Readonly<Record<string, string>>; readonly InputTemplate: string };
}

/** Input of {@link EventsStore.putRule}. */
export interface PutRuleInput {
  readonly accountId: string;
  readonly region: string;
  /** Rule name, 1-64 of `[.\-_A-Za-z0-9]`; unique per account/Region (a second putRule replaces the rule). */
  readonly name: string;
  /** EventBridge event pattern (an object; see {@link matchesEventPattern}). */
  readonly eventPattern: object;
  /** @default 'ENABLED' */
  readonly state?: 'ENABLED' | 'DISABLED';
  /** At most 5 targets. */
  readonly targets: readonly EventTargetInput[];
}

/** Input of {@link EventsStore.putEvent}. */
export interface PutEventInput {
  readonly accountId: string;
  readonly region: string;
  /** e.g. `aws.rds`. */
  readonly source: string;
  /** e.g. `RDS DB Snapshot Event`. */
  readonly detailType: string;
  readonly detail: object;
  /** ARNs of the resources involved. @default [] */
  readonly resources?: readonly string[];
  /** Event time; default clock now. */
  readonly time?: Date;
}

/** The EventBridge event envelope. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO-8601 UTC, whole seconds (`2026-11-20T05:00:00Z`). */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: object;
}

/** What the target handler receives. */
export interface EventDelivery {
  /** Rule name. */
  readonly rule: string;
  readonly targetArn: string;
  readonly roleArn?: string;
  /** The target input: the event, the InputPath part, the parsed Input / transformed template (a string when the template is not JSON). */
  readonly input: unknown;
  readonly event: EventEnvelope;
}

/** A delivery made (recorded when the handler is called). */
export interface DeliveryRecord {
  readonly rule: string;
  readonly targetArn: string;
  readonly roleArn?: string;
  readonly input: unknown;
  /** Virtual time the handler was called, ISO-8601 UTC. */
  readonly at: string;
  /** `pending` while the handler runs, then `delivered`, or `failed` with `error` when it threw. */
  status: 'pending' | 'delivered' | 'failed';
  error?: string;
}

/** Called for every (matched event, target) pair. */
export type TargetHandler = (delivery: EventDelivery) => Promise<void> | void;

/**
 * Decides whether EventBridge may invoke a target (it assumes the target's role as
 * `events.amazonaws.com`, then calls the target with the role's credentials).
 * @returns undefined when allowed, else the error EventBridge records for the failed invocation
 */
export type TargetAuthorizer = (delivery: EventDelivery, rule: { readonly arn: string; readonly accountId: string; readonly region: string }) => string | undefined;

interface Rule {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly pattern: Record<string, unknown>;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly targets: readonly EventTargetInput[];
}

const NAME_RE = /^[.\-_A-Za-z0-9]{1,64}$/;
const PREDEFINED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json'];

/** Rules, emitted events and deliveries of every account and Region. */
export class EventsStore {
  private readonly rules = new Map<string, Rule>();
  private readonly emittedEvents: EventEnvelope[] = [];
  private readonly deliveryRecords: DeliveryRecord[] = [];
  private handler: TargetHandler | undefined;
  private authorizer: TargetAuthorizer | undefined;
  private inFlight = new Set<Promise<void>>();
  private seq = 0;

  /** @param beforeRead called before `emitted`/`deliveries` are read (settles lazily computed RDS events). */
  constructor(
    private readonly clock: VirtualClock,
    private readonly beforeRead: () => void = () => {},
  ) {}

  /** Events put so far, in order (EventBridge envelopes). */
  get emitted(): readonly EventEnvelope[] {
    this.beforeRead();
    return this.emittedEvents;
  }

  /** Deliveries made so far, in order. */
  get deliveries(): readonly DeliveryRecord[] {
    this.beforeRead();
    return this.deliveryRecords;
  }

  /**
   * Creates or replaces a rule on the default bus of an account/Region.
   * @throws SandboxUsageError naming AWS's error — `InvalidEventPatternException` (pattern not an
   *   object, a leaf that is not a non-empty array, an unknown operator), `ValidationException`
   *   (name/target id, more than 5 targets, more than one of input/inputPath/inputTransformer,
   *   InputTemplate that is not valid JSON once filled, InputPathsMap over 100 entries or with a
   *   reserved `aws.events.` key)
   */
  putRule(r: PutRuleInput): void {
    if (!NAME_RE.test(r.name)) throw new SandboxUsageError(`ValidationException: invalid rule name ${r.name}`);
    validatePattern(r.eventPattern);
    if (r.targets.length > 5) throw new SandboxUsageError(`ValidationException: rule ${r.name} has ${r.targets.length} targets; at most 5 are allowed`);
    const ids = new Set<string>();
    for (const t of r.targets) {
      if (!NAME_RE.test(t.id)) throw new SandboxUsageError(`ValidationException: invalid target id ${t.id}`);
      if (ids.has(t.id)) throw new SandboxUsageError(`ValidationException: duplicate target id ${t.id}`);
      ids.add(t.id);
      const kinds = [t.input, t.inputPath, t.inputTransformer].filter((x) => x !== undefined).length;
      if (kinds > 1) throw new SandboxUsageError(`ValidationException: target ${t.id}: only one of Input, InputPath and InputTransformer may be set`);
      if (t.input !== undefined) {
        try {
          JSON.parse(t.input);
        } catch {
          throw new SandboxUsageError(`ValidationException: target ${t.id}: Input is not valid JSON`);
        }
      }
      if (t.inputPath !== undefined) parseJsonPath(t.inputPath);
      if (t.inputTransformer) validateTransformer(t.id, t.inputTransformer);
    }
    this.rules.set(`${r.accountId}/${r.region}/${r.name}`, {
      accountId: r.accountId,
      region: r.region,
      name: r.name,
      arn: `arn:aws:events:${r.region}:${r.accountId}:rule/${r.name}`,
      pattern: r.eventPattern as Record<string, unknown>,
      state: r.state ?? 'ENABLED',
      targets: [...r.targets],
    });
  }

  /** Removes a rule (no-op when absent). */
  deleteRule(accountId: string, region: string, name: string): void {
    this.rules.delete(`${accountId}/${region}/${name}`);
  }

  /** Sets the check every delivery passes before the handler is called (the sandbox sets its IAM check). */
  setTargetAuthorizer(authorizer: TargetAuthorizer | undefined): void {
    this.authorizer = authorizer;
  }

  /** Sets (or with undefined clears) the one handler every matched target is delivered to. */
  setTargetHandler(handler: TargetHandler | undefined): void {
    this.handler = handler;
  }

  /**
   * Puts an event on the default bus of its account/Region: builds the envelope, records it, and
   * schedules one delivery per target of every ENABLED rule whose pattern matches (after the current
   * call returns; see the module comment).
   * @returns the envelope
   */
  putEvent(e: PutEventInput): EventEnvelope {
    this.seq++;
    const time = (e.time ?? this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const envelope: EventEnvelope = {
      version: '0',
      id: `e5a4d0b1-0000-4000-8000-${this.seq.toString(16).padStart(12, '0')}`,
      'detail-type': e.detailType,
      source: e.source,
      account: e.accountId,
      time,
      region: e.region,
      resources: [...(e.resources ?? [])],
      detail: e.detail,
    };
    this.emittedEvents.push(envelope);
    const handler = this.handler;
    if (!handler) return envelope;
    for (const rule of this.rules.values()) {
      if (rule.accountId !== e.accountId || rule.region !== e.region || rule.state !== 'ENABLED') continue;
      if (!matchesEventPattern(rule.pattern, envelope as unknown as Record<string, unknown>)) continue;
      for (const target of rule.targets) {
        const input = targetInput(target, envelope, rule, this.clock.iso());
        this.schedule(handler, { rule: rule.name, targetArn: target.arn, ...(target.roleArn ? { roleArn: target.roleArn } : {}), input, event: envelope }, rule);
      }
    }
    return envelope;
  }

  /** Resolves once every delivery scheduled so far (and any scheduled meanwhile) has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private schedule(handler: TargetHandler, d: EventDelivery, rule: Rule): void {
    const p = Promise.resolve()
      .then(async () => {
        const rec: DeliveryRecord = { rule: d.rule, targetArn: d.targetArn, ...(d.roleArn ? { roleArn: d.roleArn } : {}), input: d.input, at: this.clock.iso(), status: 'pending' };
        this.deliveryRecords.push(rec);
        // A target EventBridge may not invoke fails silently (FailedInvocations), recorded here; the handler is not called.
        const denied = this.authorizer?.(d, rule);
        if (denied !== undefined) {
          rec.status = 'failed';
          rec.error = denied;
          return;
        }
        try {
          await handler(d);
          rec.status = 'delivered';
        } catch (err) {
          rec.status = 'failed';
          rec.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        }
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}

// ---------------------------------------------------------------------------- event patterns

type Json = unknown;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validatePattern(pattern: unknown): void {
  if (!isObj(pattern) || Object.keys(pattern).length === 0) throw new SandboxUsageError('InvalidEventPatternException: Event pattern is not valid. Reason: the pattern must be a non-empty JSON object');
  const walk = (node: Record<string, unknown>, path: string): void => {
    for (const [k, v] of Object.entries(node)) {
      const here = path ? `${path}.${k}` : k;
      if (k === '$or') {
        if (!Array.isArray(v) || v.length < 2 || !v.every(isObj)) throw new SandboxUsageError(`InvalidEventPatternException: ${here} must be an array of at least 2 objects`);
        for (const sub of v) walk(sub as Record<string, unknown>, path);
        continue;
      }
      if (isObj(v)) {
        walk(v, here);
        continue;
      }
      if (!Array.isArray(v) || v.length === 0) throw new SandboxUsageError(`InvalidEventPatternException: Event pattern is not valid. Reason: Match value for ${here} must be a non-empty array`);
      for (const m of v) validateMatcher(m, here);
    }
  };
  walk(pattern, '');
}

function validateMatcher(m: unknown, path: string): void {
  if (m === null || typeof m === 'string' || typeof m === 'number' || typeof m === 'boolean') return;
  if (!isObj(m) || Object.keys(m).length !== 1) throw new SandboxUsageError(`InvalidEventPatternException: invalid matcher at ${path}: ${JSON.stringify(m)}`);
  const [op, arg] = Object.entries(m)[0]!;
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string' || (isObj(arg) && typeof arg['equals-ignore-case'] === 'string')) return;
      break;
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof arg === 'string') return;
      break;
    case 'exists':
      if (typeof arg === 'boolean') return;
      break;
    case 'anything-but':
      if (typeof arg === 'string' || typeof arg === 'number') return;
      if (Array.isArray(arg) && arg.length > 0 && arg.every((x) => typeof x === 'string' || typeof x === 'number')) return;
      if (isObj(arg) && Object.keys(arg).length === 1 && ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(Object.keys(arg)[0]!)) return;
      break;
    case 'numeric':
      if (Array.isArray(arg) && arg.length >= 2 && arg.length % 2 === 0 && arg.every((x, i) => (i % 2 === 0 ? ['<', '<=', '=', '>', '>='].includes(x as string) : typeof x === 'number'))) return;
      break;
    default:
      throw new SandboxUsageError(`InvalidEventPatternException: unsupported operator ${op} at ${path} (the sandbox models prefix, suffix, equals-ignore-case, wildcard, anything-but, exists, numeric)`);
  }
  throw new SandboxUsageError(`InvalidEventPatternException: invalid ${op} matcher at ${path}: ${JSON.stringify(arg)}`);
}

/**
 * Whether an event matches an EventBridge event pattern. Supported: nested objects; leaf arrays of
 * any-of matchers — literal strings, numbers (compared numerically), booleans, `null`; `prefix`,
 * `suffix` (also with `equals-ignore-case`), `equals-ignore-case`, `wildcard` (`*`), `anything-but`
 * (value, list, or prefix/suffix/equals-ignore-case/wildcard), `exists` (true: the leaf is present;
 * false: absent), `numeric` (`<`, `<=`, `=`, `>`, `>=` pairs), and `$or`. An array in the event
 * matches when any element matches. Matching is case-sensitive unless stated.
 * Source: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function matchesEventPattern(pattern: Record<string, unknown>, event: Record<string, unknown> | undefined): boolean {
  for (const [key, p] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(p as Array<Record<string, unknown>>).some((sub) => matchesEventPattern(sub, event))) return false;
      continue;
    }
    const present = event !== undefined && Object.prototype.hasOwnProperty.call(event, key);
    const value = present ? event[key] : undefined;
    if (isObj(p)) {
      if (!matchesEventPattern(p, isObj(value) ? value : undefined)) return false;
      continue;
    }
    const values: Json[] = !present ? [] : Array.isArray(value) ? value : [value];
    if (!(p as Json[]).some((m) => matchOne(m, values, present))) return false;
  }
  return true;
}

function matchOne(m: Json, values: Json[], present: boolean): boolean {
  if (m === null) return values.some((v) => v === null);
  if (typeof m === 'number') return values.some((v) => typeof v === 'number' && v === m);
  if (typeof m === 'string' || typeof m === 'boolean') return values.some((v) => v === m);
  const [op, arg] = Object.entries(m as Record<string, unknown>)[0]!;
  const strings = values.filter((v): v is string => typeof v === 'string');
  switch (op) {
    case 'exists':
      return arg === true ? present && values.length > 0 && !values.every(isObj) : !present;
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      return strings.some((s) => stringOp(op, arg, s));
    case 'anything-but': {
      if (!present || values.length === 0) return false;
      if (isObj(arg)) {
        const [sub, subArg] = Object.entries(arg)[0]!;
        return strings.some((s) => !stringOp(sub, subArg, s));
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return values.some((v) => !excluded.some((x) => x === v));
    }
    case 'numeric': {
      const conds = arg as Array<string | number>;
      return values.some((v) => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < conds.length; i += 2) {
          const n = conds[i + 1] as number;
          const ok = { '<': v < n, '<=': v <= n, '=': v === n, '>': v > n, '>=': v >= n }[conds[i] as '<'];
          if (!ok) return false;
        }
        return true;
      });
    }
    default:
      return false;
  }
}

function stringOp(op: string, arg: unknown, s: string): boolean {
  switch (op) {
    case 'prefix':
      return typeof arg === 'string' ? s.startsWith(arg) : s.toLowerCase().startsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
    case 'suffix':
      return typeof arg === 'string' ? s.endsWith(arg) : s.toLowerCase().endsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
    case 'equals-ignore-case':
      return s.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard': {
      const re = new RegExp(`^${String(arg).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
      return re.test(s);
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------- target input

/** Parses the simple JSONPath EventBridge accepts in InputPath / InputPathsMap: `$`, `$.a.b`, `$.a[0]`, `$['a b']`. */
function parseJsonPath(path: string): Array<string | number> {
  if (!path.startsWith('$')) throw new SandboxUsageError(`ValidationException: invalid JSONPath ${path}`);
  const parts: Array<string | number> = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new SandboxUsageError(`ValidationException: invalid JSONPath ${path}`);
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(m[3]!);
  }
  return parts;
}

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of parseJsonPath(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function validateTransformer(targetId: string, t: { InputPathsMap?: Readonly<Record<string, string>>; InputTemplate: string }): void {
  const map = t.InputPathsMap ?? {};
  if (Object.keys(map).length > 100) throw new SandboxUsageError(`ValidationException: target ${targetId}: InputPathsMap has more than 100 entries`);
  for (const [k, v] of Object.entries(map)) {
    if (k.startsWith('aws.events.')) throw new SandboxUsageError(`ValidationException: target ${targetId}: InputPathsMap key ${k} uses the reserved prefix aws.events.`);
    parseJsonPath(v);
  }
  const trimmed = t.InputTemplate.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const probe = fillTemplate(t.InputTemplate, (name) => (name in map || PREDEFINED.includes(name) ? { found: true, value: 'x' } : { found: false }));
    try {
      JSON.parse(probe);
    } catch {
      throw new SandboxUsageError(`ValidationException: target ${targetId}: InputTemplate is not valid JSON once its placeholders are filled: ${t.InputTemplate}`);
    }
  }
}

/**
 * Replaces `<name>` placeholders: outside a JSON string the value is inserted as JSON (strings get
 * quotes, objects are serialized, a missing path becomes `null`); inside a string literal the raw
 * string is inserted (non-strings as their JSON text, a missing path as nothing). Unknown names stay as
 * they are.
 */
function fillTemplate(template: string, lookup: (name: string) => { found: true; value: unknown } | { found: false }): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '"' && !isEscaped(template, i)) {
      inString = !inString;
      out += c;
      continue;
    }
    if (c === '<') {
      const end = template.indexOf('>', i + 1);
      const name = end > i ? template.slice(i + 1, end) : '';
      const hit = name && /^[A-Za-z0-9_.\-]+$/.test(name) ? lookup(name) : { found: false as const };
      if (hit.found) {
        const v = hit.value;
        if (inString) out += v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        else out += v === undefined ? 'null' : JSON.stringify(v);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function isEscaped(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/**
 * The input EventBridge passes to one target for one event (Input, InputPath, InputTransformer, or
 * the whole event). Predefined template variables: `aws.events.rule-arn`, `aws.events.rule-name`,
 * `aws.events.event.ingestion-time`, `aws.events.event` / `aws.events.event.json` (the event).
 * @returns the parsed JSON, or the plain string when the filled template is not JSON
 */
export function applyInputTransformer(
  transformer: { InputPathsMap?: Readonly<Record<string, string>>; InputTemplate: string },
  event: EventEnvelope,
  rule: { name: string; arn: string },
  ingestionTime: string,
): unknown {
  const map = transformer.InputPathsMap ?? {};
  const filled = fillTemplate(transformer.InputTemplate, (name) => {
    if (name in map) return { found: true, value: readPath(event, map[name]!) };
    switch (name) {
      case 'aws.events.rule-arn':
        return { found: true, value: rule.arn };
      case 'aws.events.rule-name':
        return { found: true, value: rule.name };
      case 'aws.events.event.ingestion-time':
        return { found: true, value: ingestionTime };
      case 'aws.events.event':
      case 'aws.events.event.json':
        return { found: true, value: event };
      default:
        return { found: false };
    }
  });
  try {
    return JSON.parse(filled);
  } catch {
    return filled;
  }
}

function targetInput(t: EventTargetInput, event: EventEnvelope, rule: Rule, ingestionTime: string): unknown {
  if (t.input !== undefined) return JSON.parse(t.input);
  if (t.inputPath !== undefined) return readPath(event, t.inputPath);
  if (t.inputTransformer) return applyInputTransformer(t.inputTransformer, event, rule, ingestionTime);
  return event;
}
