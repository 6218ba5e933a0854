/**
 * The simulated Amazon DynamoDB, as much as the copy slot table uses (issue 12): tables with a
 * string partition key, `GetItem` and `UpdateItem` with `ConditionExpression`, `UpdateExpression`
 * (`SET` with `+`/`-` and `if_not_exists`, `REMOVE`), `ExpressionAttributeNames`/`Values`,
 * `ReturnValues`, and Time to Live.
 *
 * Rules (docs/aws-behaviour.md §23), each with a test in test/sandbox/dynamodb.test.ts:
 * - a condition that is false fails the whole update with `ConditionalCheckFailedException` and
 *   changes nothing; the item's old state is what the condition sees (an absent item has no
 *   attributes, so `attribute_not_exists(x)` is true and every comparison false);
 * - comparisons of different types, or with a missing attribute, are false (never an error);
 * - expression names and values that the expressions do not use, or that they use but are not
 *   given, are a `ValidationException`; so are key attributes in an update, a key that does not
 *   match the table's key schema, overlapping document paths, and `SET a.b` when `a` is absent;
 * - an unknown table (in the caller's account and Region) is `ResourceNotFoundException`;
 * - IAM: `dynamodb:GetItem` / `dynamodb:UpdateItem` on `arn:aws:dynamodb:<region>:<acct>:table/<name>`
 *   (`AccessDeniedException`); no resource-based table policies are modelled, so another account
 *   is always denied;
 * - Time to Live deletes an expired item "within a few days", not at its expiry: until then it is
 *   returned by every read and matched by every condition like any other item. The sandbox keeps
 *   expired items until a test calls `expireTtlItems()` (the strict reading: code must check expiry
 *   itself, and must also cope with the item vanishing once it has expired).
 *
 * Stricter than AWS (said here and in docs/sandbox.md): every attribute name in an expression must
 * be an `ExpressionAttributeNames` placeholder (`#name`); AWS accepts bare names that are not
 * reserved words. Not modelled (a `ValidationException` naming the sandbox): `ADD`/`DELETE`
 * clauses, `BETWEEN`, `IN`, `contains`, `attribute_type`, list indexes.
 *
 * Sources: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 */
import type { VirtualClock } from './clock';
import { deniedMessage, requireIdentity, type CallContext } from './context';
import { awsError, SandboxUsageError } from './errors';
import type { IamStore } from './identity';

/** A DynamoDB AttributeValue (the members the sandbox models). */
export type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { NULL: true } | { M: Record<string, AttributeValue> } | { L: AttributeValue[] };
type Item = Record<string, AttributeValue>;

/** Input of {@link DynamoDbStore.createTable}. */
export interface CreateTableInput {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  /** Name of the (string) partition key attribute. */
  readonly partitionKey: string;
  /** Attribute holding the expiry (epoch seconds, a Number) when Time to Live is enabled. @default - TTL off */
  readonly ttlAttribute?: string;
}

interface Table {
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly partitionKey: string;
  readonly ttlAttribute?: string;
  readonly items: Map<string, Item>;
}

/** Largest item, bytes (names and values, UTF-8). */
export const MAX_ITEM_BYTES = 400 * 1024;

const ddbError = (name: string, message: string) => awsError('dynamodb', name, message);
const validation = (message: string) => ddbError('ValidationException', message);

/** Tables and their items. */
export class DynamoDbStore {
  private readonly tables = new Map<string, Table>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
  ) {}

  /** Creates a table (no IAM checks). @returns its ARN @throws SandboxUsageError for a duplicate or an invalid name */
  createTable(t: CreateTableInput): string {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(t.name)) throw new SandboxUsageError(`createTable: invalid table name ${t.name}`);
    const arn = `arn:aws:dynamodb:${t.region}:${t.accountId}:table/${t.name}`;
    if (this.tables.has(arn)) throw new SandboxUsageError(`createTable: ${arn} exists`);
    this.tables.set(arn, { arn, accountId: t.accountId, region: t.region, name: t.name, partitionKey: t.partitionKey, ...(t.ttlAttribute !== undefined && { ttlAttribute: t.ttlAttribute }), items: new Map() });
    return arn;
  }

  /** One item as stored (expired ones included), or undefined. */
  peekItem(tableArn: string, key: string): Item | undefined {
    const item = this.tables.get(tableArn)?.items.get(key);
    return item ? structuredClone(item) : undefined;
  }

  /**
   * Time to Live's background deletion, now: removes every item whose TTL attribute (a Number,
   * epoch seconds) is in the past. Items without it, or with a non-Number, are never deleted.
   * @returns how many items were deleted
   */
  expireTtlItems(): number {
    const nowSeconds = this.clock.nowMs() / 1000;
    let n = 0;
    for (const t of this.tables.values()) {
      if (!t.ttlAttribute) continue;
      for (const [k, item] of t.items) {
        const v = item[t.ttlAttribute];
        if (v && 'N' in v && Number(v.N) < nowSeconds) {
          t.items.delete(k);
          n++;
        }
      }
    }
    return n;
  }

  /** GetItem: `{ Item }` (absent when there is none). ConsistentRead is accepted; every read is consistent here. */
  getItem(input: { TableName?: string; Key?: Item; ConsistentRead?: boolean; ProjectionExpression?: string }, ctx: CallContext): Record<string, unknown> {
    if (input.ProjectionExpression !== undefined) throw validation('The sandbox does not model ProjectionExpression');
    const table = this.table(input.TableName, ctx, 'dynamodb:GetItem');
    const key = this.keyOf(table, input.Key);
    const item = table.items.get(key);
    return item ? { Item: structuredClone(item) } : {};
  }

  /**
   * UpdateItem: evaluates `ConditionExpression` against the stored item (absent: no attributes),
   * then applies `UpdateExpression`, creating the item when absent.
   * @returns `{ Attributes }` per `ReturnValues` (`NONE` default, `ALL_OLD`, `ALL_NEW`)
   * @throws ConditionalCheckFailedException, ValidationException, ResourceNotFoundException, AccessDeniedException
   */
  updateItem(
    input: {
      TableName?: string;
      Key?: Item;
      UpdateExpression?: string;
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Item;
      ReturnValues?: string;
    },
    ctx: CallContext,
  ): Record<string, unknown> {
    const table = this.table(input.TableName, ctx, 'dynamodb:UpdateItem');
    const key = this.keyOf(table, input.Key);
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const used = { names: new Set<string>(), values: new Set<string>() };
    const update = input.UpdateExpression === undefined ? [] : parseUpdate(input.UpdateExpression, names, values, used);
    const condition = input.ConditionExpression === undefined ? undefined : parseCondition(input.ConditionExpression, names, values, used);
    const unusedNames = Object.keys(names).filter((n) => !used.names.has(n));
    if (unusedNames.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    const unusedValues = Object.keys(values).filter((v) => !used.values.has(v));
    if (unusedValues.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
    const paths = update.map((a) => a.path);
    for (const p of paths) {
      if (p[0] === table.partitionKey) throw validation(`One or more parameter values were invalid: Cannot update attribute ${table.partitionKey}. This attribute is part of the key`);
    }
    for (let i = 0; i < paths.length; i++) {
      for (let j = 0; j < paths.length; j++) {
        if (i !== j && paths[j]!.length >= paths[i]!.length && paths[i]!.every((s, k) => paths[j]![k] === s)) {
          throw validation(`Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${paths[i]!.join(', ')}], path two: [${paths[j]!.join(', ')}]`);
        }
      }
    }
    const old = table.items.get(key);
    const current: Item = old ? structuredClone(old) : { [table.partitionKey]: { S: key } };
    if (condition && !condition(old ?? {})) throw ddbError('ConditionalCheckFailedException', 'The conditional request failed');
    // Every right-hand side reads the item as it was before the update (AWS evaluates them first).
    const computed = update.map((a) => (a.kind === 'set' ? { ...a, value: a.value(old ?? {}) } : a));
    for (const a of computed) {
      if (a.kind === 'set') setPath(current, a.path, (a as { value: AttributeValue }).value);
      else removePath(current, a.path);
    }
    if (itemBytes(current) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
    table.items.set(key, current);
    const rv = input.ReturnValues ?? 'NONE';
    if (rv === 'NONE') return {};
    if (rv === 'ALL_NEW') return { Attributes: structuredClone(current) };
    if (rv === 'ALL_OLD') return old ? { Attributes: structuredClone(old) } : {};
    throw validation(`The sandbox does not model ReturnValues ${rv}`);
  }

  private table(name: string | undefined, ctx: CallContext, action: string): Table {
    if (!name) throw validation('1 validation error detected: Value null at \'tableName\' failed to satisfy constraint: Member must not be null');
    const arn = name.startsWith('arn:') ? name : `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`;
    const req = { action, resource: arn };
    requireIdentity(this.iam, ctx, req);
    // A table of another account: no resource-based policy is modelled, so nothing allows it.
    if (arn.split(':')[4] !== ctx.accountId) throw ddbError('AccessDeniedException', deniedMessage(ctx.principal.callerArn, req, 'resource'));
    const t = this.tables.get(arn);
    if (!t || t.region !== ctx.region) throw ddbError('ResourceNotFoundException', 'Requested resource not found');
    return t;
  }

  private keyOf(t: Table, key: Item | undefined): string {
    const names = Object.keys(key ?? {});
    const v = key?.[t.partitionKey];
    if (names.length !== 1 || !v || !('S' in v)) throw validation('The provided key element does not match the schema');
    if (v.S.length === 0) throw validation('One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value.');
    return v.S;
  }
}

// ------------------------------------------------------------------ expressions

type Path = string[];
type Operand = (item: Item) => AttributeValue | undefined;
type Condition = (item: Item) => boolean;
type UpdateAction = { kind: 'set'; path: Path; value: Operand } | { kind: 'remove'; path: Path };

interface Used {
  names: Set<string>;
  values: Set<string>;
}

const TOKEN = /\s*(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|<>|<=|>=|[=<>(),.+-]|[A-Za-z_][A-Za-z0-9_]*|\S)/y;

function tokenize(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) return out;
    const m = TOKEN.exec(expr);
    if (!m) throw validation(`Invalid expression: Syntax error; token: "${expr.slice(TOKEN.lastIndex).trim().slice(0, 10)}"`);
    out.push(m[1]!);
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: string[],
    private readonly names: Record<string, string>,
    private readonly values: Item,
    private readonly used: Used,
    private readonly what: 'ConditionExpression' | 'UpdateExpression',
  ) {}

  peek(): string | undefined {
    return this.tokens[this.i];
  }
  next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) throw validation(`Invalid ${this.what}: Syntax error; token: "<EOF>"`);
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got.toUpperCase() !== t) throw validation(`Invalid ${this.what}: Syntax error; token: "${got}", near: "${t}"`);
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }

  path(): Path {
    const segs = [this.name(this.next())];
    while (this.peek() === '.') {
      this.next();
      segs.push(this.name(this.next()));
    }
    if (this.peek() === '[') throw validation('The sandbox does not model list indexes in document paths');
    return segs;
  }

  private name(tok: string): string {
    if (tok.startsWith('#')) {
      const n = this.names[tok];
      if (n === undefined) throw validation(`Invalid ${this.what}: An expression attribute name used in the document path is not defined; attribute name: ${tok}`);
      this.used.names.add(tok);
      return n;
    }
    if (/^[A-Za-z_]/.test(tok)) {
      // Stricter than AWS (which accepts bare names that are not reserved words): see the module comment.
      throw validation(`Invalid ${this.what}: the sandbox requires an ExpressionAttributeNames placeholder for every attribute name; found: ${tok}`);
    }
    throw validation(`Invalid ${this.what}: Syntax error; token: "${tok}"`);
  }

  value(tok: string): AttributeValue {
    const v = this.values[tok];
    if (v === undefined) throw validation(`Invalid ${this.what}: An expression attribute value used in expression is not defined; attribute value: ${tok}`);
    this.used.values.add(tok);
    return v;
  }

  /** path | :value | size(path) | if_not_exists(path, operand) (update only) */
  operand(): Operand {
    const t = this.peek();
    if (t === undefined) throw validation(`Invalid ${this.what}: Syntax error; token: "<EOF>"`);
    if (t.startsWith(':')) {
      const v = this.value(this.next());
      return () => v;
    }
    const fn = t.toLowerCase();
    if (fn === 'size' && this.what === 'ConditionExpression') {
      this.next();
      this.expect('(');
      const p = this.path();
      this.expect(')');
      return (item) => {
        const v = getPath(item, p);
        if (!v) return undefined;
        if ('S' in v) return { N: String([...v.S].length) };
        if ('M' in v) return { N: String(Object.keys(v.M).length) };
        if ('L' in v) return { N: String(v.L.length) };
        return undefined;
      };
    }
    if (fn === 'if_not_exists' && this.what === 'UpdateExpression') {
      this.next();
      this.expect('(');
      const p = this.path();
      this.expect(',');
      const fallback = this.operand();
      this.expect(')');
      return (item) => getPath(item, p) ?? fallback(item);
    }
    const p = this.path();
    return (item) => getPath(item, p);
  }

  // ---- conditions
  condition(): Condition {
    let left = this.and();
    while (this.peek()?.toUpperCase() === 'OR') {
      this.next();
      const l = left;
      const r = this.and();
      left = (item) => l(item) || r(item);
    }
    return left;
  }
  private and(): Condition {
    let left = this.not();
    while (this.peek()?.toUpperCase() === 'AND') {
      this.next();
      const l = left;
      const r = this.not();
      left = (item) => l(item) && r(item);
    }
    return left;
  }
  private not(): Condition {
    if (this.peek()?.toUpperCase() === 'NOT') {
      this.next();
      const c = this.not();
      return (item) => !c(item);
    }
    return this.primary();
  }
  private primary(): Condition {
    const t = this.peek();
    if (t === '(') {
      this.next();
      const c = this.condition();
      this.expect(')');
      return c;
    }
    const fn = t?.toLowerCase();
    if (fn === 'attribute_exists' || fn === 'attribute_not_exists') {
      this.next();
      this.expect('(');
      const p = this.path();
      this.expect(')');
      return fn === 'attribute_exists' ? (item) => getPath(item, p) !== undefined : (item) => getPath(item, p) === undefined;
    }
    if (fn === 'begins_with') {
      this.next();
      this.expect('(');
      const a = this.operand();
      this.expect(',');
      const b = this.operand();
      this.expect(')');
      return (item) => {
        const x = a(item);
        const y = b(item);
        return !!x && !!y && 'S' in x && 'S' in y && x.S.startsWith(y.S);
      };
    }
    if (fn === 'contains' || fn === 'attribute_type' || fn === 'between' || fn === 'in') throw validation(`The sandbox does not model ${t} in a ConditionExpression`);
    const left = this.operand();
    const op = this.next();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) {
      if (op.toUpperCase() === 'BETWEEN' || op.toUpperCase() === 'IN') throw validation(`The sandbox does not model ${op} in a ConditionExpression`);
      throw validation(`Invalid ConditionExpression: Syntax error; token: "${op}"`);
    }
    const right = this.operand();
    return (item) => compare(left(item), right(item), op);
  }

  // ---- updates
  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (!this.done()) {
      const clause = this.next().toUpperCase();
      if (seen.has(clause)) throw validation(`Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      if (clause === 'SET') {
        do {
          const path = this.path();
          this.expect('=');
          const a = this.operand();
          let value: Operand = a;
          const op = this.peek();
          if (op === '+' || op === '-') {
            this.next();
            const b = this.operand();
            value = (item) => arithmetic(a(item), b(item), op);
          }
          actions.push({ kind: 'set', path, value });
        } while (this.peek() === ',' && this.next());
      } else if (clause === 'REMOVE') {
        do actions.push({ kind: 'remove', path: this.path() });
        while (this.peek() === ',' && this.next());
      } else if (clause === 'ADD' || clause === 'DELETE') {
        throw validation(`The sandbox does not model ${clause} in an UpdateExpression`);
      } else {
        throw validation(`Invalid UpdateExpression: Syntax error; token: "${clause}"`);
      }
    }
    if (actions.length === 0) throw validation('Invalid UpdateExpression: The expression can not be empty;');
    return actions;
  }
}

function parseCondition(expr: string, names: Record<string, string>, values: Item, used: Used): Condition {
  const p = new Parser(tokenize(expr), names, values, used, 'ConditionExpression');
  const c = p.condition();
  if (!p.done()) throw validation(`Invalid ConditionExpression: Syntax error; token: "${p.peek()}"`);
  return c;
}

function parseUpdate(expr: string, names: Record<string, string>, values: Item, used: Used): UpdateAction[] {
  return new Parser(tokenize(expr), names, values, used, 'UpdateExpression').update();
}

function getPath(item: Item, path: Path): AttributeValue | undefined {
  let cur: AttributeValue | undefined = item[path[0]!];
  for (const seg of path.slice(1)) {
    if (!cur || !('M' in cur)) return undefined;
    cur = cur.M[seg];
  }
  return cur;
}

function setPath(item: Item, path: Path, value: AttributeValue): void {
  if (path.length === 1) {
    item[path[0]!] = value;
    return;
  }
  const parent = getPath(item, path.slice(0, -1));
  if (!parent || !('M' in parent)) throw validation('The document path provided in the update expression is invalid for update');
  parent.M[path[path.length - 1]!] = value;
}

function removePath(item: Item, path: Path): void {
  if (path.length === 1) {
    delete item[path[0]!];
    return;
  }
  const parent = getPath(item, path.slice(0, -1));
  if (!parent || !('M' in parent)) throw validation('The document path provided in the update expression is invalid for update');
  delete parent.M[path[path.length - 1]!];
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined, op: string): boolean {
  if (!a || !b) return false;
  let c: number;
  if ('N' in a && 'N' in b) c = Math.sign(Number(a.N) - Number(b.N));
  else if ('S' in a && 'S' in b) c = a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  else if (op === '=' || op === '<>') {
    const eq = JSON.stringify(a) === JSON.stringify(b);
    return op === '=' ? eq : !eq;
  } else return false;
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function arithmetic(a: AttributeValue | undefined, b: AttributeValue | undefined, op: '+' | '-'): AttributeValue {
  if (!a || !b) throw validation('The provided expression refers to an attribute that does not exist in the item');
  if (!('N' in a) || !('N' in b)) throw validation('An operand in the update expression has an incorrect data type');
  return { N: String(op === '+' ? Number(a.N) + Number(b.N) : Number(a.N) - Number(b.N)) };
}

function itemBytes(item: Item): number {
  return Buffer.byteLength(JSON.stringify(item), 'utf8');
}
