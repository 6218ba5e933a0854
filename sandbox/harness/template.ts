/**
 * Reads a synthesized CloudFormation template the way CloudFormation would for the parts the
 * sandbox needs: physical names and ARNs of resources, and the intrinsic functions CDK emits
 * (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`) resolved to plain values.
 *
 * Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */

/** A CloudFormation template as synthesized by CDK (only the fields read here). */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

/** What `Ref` and `Fn::GetAtt` return for one resource. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

/** Thrown when a template uses an intrinsic or a reference the sandbox cannot resolve. */
export class TemplateResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateResolutionError';
  }
}

/** Account, Region and stack name a template is deployed with (for pseudo parameters). */
export interface StackEnvironment {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  readonly partition?: string;
}

/**
 * Resolves intrinsic functions in `value` (deeply). Unknown `Ref`s and `Fn::GetAtt`s throw
 * {@link TemplateResolutionError} naming them.
 */
export function resolveIntrinsics(value: unknown, env: StackEnvironment, physical: ReadonlyMap<string, PhysicalResource>): unknown {
  const partition = env.partition ?? 'aws';
  const pseudo: Record<string, string> = {
    'AWS::AccountId': env.accountId,
    'AWS::Region': env.region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': env.stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${env.region}:${env.accountId}:stack/${env.stackName}/sandbox`,
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => {
    if (name in pseudo) return pseudo[name] as string;
    const p = physical.get(name);
    if (!p) throw new TemplateResolutionError(`Ref to unknown resource or parameter '${name}'`);
    return p.ref;
  };
  const getAtt = (logicalId: string, attr: string): string => {
    const p = physical.get(logicalId);
    const v = p?.attributes[attr];
    if (v === undefined) throw new TemplateResolutionError(`Fn::GetAtt ${logicalId}.${attr} is not known to the sandbox`);
    return v;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const k = keys[0] as string;
      const arg = o[k];
      switch (k) {
        case 'Ref':
          return ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.+)/);
          return getAtt(String(id), String(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (walk(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (walk(list) as unknown[])[Number(walk(index))];
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(walk(source)).split(sep);
        }
        case 'Fn::Sub': {
          const [template, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
          const resolvedVars = walk(vars ?? {}) as Record<string, unknown>;
          return template.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
            if (name in resolvedVars) return String(resolvedVars[name]);
            const [id, attr] = name.split(/\.(.+)/);
            return attr ? getAtt(id as string, attr) : ref(name);
          });
        }
        case 'Fn::If':
        case 'Fn::ImportValue':
        case 'Fn::FindInMap':
        case 'Fn::GetAZs':
          throw new TemplateResolutionError(`${k} is not supported by the sandbox`);
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = walk(o[k]);
    return out;
  };
  return walk(value);
}

/** Logical IDs of the resources of one type, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
