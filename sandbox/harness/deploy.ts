/**
 * "Deploys" a synthesized stack into the sandbox, the way CloudFormation would for the resources
 * the workflow touches: KMS keys (with their key policies and aliases), IAM roles (trust policy,
 * inline and attached policies, enforced by the sandbox), SNS topics, DynamoDB tables, Lambda functions (role,
 * environment; which functions/ folder they run from the stack's {@link StackBindings}, not from the
 * template), state machines (definition as plain ASL, kind from the bindings) and
 * EventBridge rules with an event pattern (registered on the sandbox's bus with their targets).
 * Everything else gets a placeholder physical ID and ARN.
 *
 * Because the sandbox evaluates the deployed key policies and role policies, a workflow test fails
 * the same way a real account would when the CDK code forgets a grant.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsSandbox, PolicyDocument } from '../simulator/index';
import {
  type CfnResource,
  type CfnTemplate,
  type PhysicalResource,
  type StackEnvironment,
  resolveIntrinsics,
  resourcesOfType,
} from './template';
import type { StackBindings } from './bindings';

/** A Lambda function as deployed: which code it runs, as whom, with which environment. */
export interface DeployedFunction {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** functions/<entry>/index.ts */
  readonly entry: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly environment: Record<string, string>;
  /** Configured timeout in seconds (Lambda's maximum is 900). */
  readonly timeoutSeconds: number;
  /**
   * The folder holding the files the bundle carries beside the code (`bundledFiles` of VaultFunction),
   * the handler's `LAMBDA_TASK_ROOT`; absent when the function bundles no files.
   */
  readonly taskRoot?: string;
}

/** A state machine as deployed, with its definition resolved to plain ASL. */
export interface DeployedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** `DatabaseBackup`, `BackupRun`, `VaultRetention`, ... (from the bindings), or the logical ID. */
  readonly kind: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly definition: Record<string, unknown>;
}

export interface DeployedStack {
  readonly env: StackEnvironment;
  readonly functions: DeployedFunction[];
  readonly stateMachines: DeployedStateMachine[];
  readonly topics: Array<{ logicalId: string; arn: string }>;
  readonly keys: Array<{ logicalId: string; arn: string; aliases: string[] }>;
  readonly roles: Array<{ logicalId: string; arn: string; name: string }>;
  /** EventBridge rules with an event pattern, registered on the sandbox's event bus. */
  readonly rules: Array<{ logicalId: string; name: string; targets: string[] }>;
  /** CloudWatch alarms: ARN `arn:aws:cloudwatch:<region>:<acct>:alarm:<name>` and the topic ARNs of their alarm/OK actions. */
  readonly alarms: Array<{ logicalId: string; arn: string; actions: string[] }>;
  readonly physical: ReadonlyMap<string, PhysicalResource>;
}

const truncate = (s: string, n: number) => (s.length <= n ? s : s.slice(0, n));

/**
 * Creates the stack's resources in the sandbox and returns what was deployed. `bindings`
 * (sandbox/harness/bindings.ts, read from the construct tree at synth time) say which functions are
 * the project's (with their `functions/` folder and bundled files) and which workflow each state
 * machine is; a Lambda function absent from them (CDK's own helpers) is not deployed.
 * @throws TemplateResolutionError for an intrinsic the sandbox cannot resolve.
 */
export function deployStack(sandbox: AwsSandbox, template: CfnTemplate, env: StackEnvironment, bindings: StackBindings): DeployedStack {
  const { accountId, region, stackName } = env;
  const partition = env.partition ?? 'aws';
  const physical = new Map<string, PhysicalResource>();
  const resolve = <T>(v: unknown) => resolveIntrinsics(v, env, physical) as T;
  const props = (r: CfnResource) => r.Properties ?? {};
  const placeholderName = (logicalId: string, max = 64) => truncate(`${stackName}-${logicalId}`, max);

  // Pass 1: physical names and ARNs (properties that are plain strings only).
  const keys: DeployedStack['keys'] = [];
  for (const [id] of resourcesOfType(template, 'AWS::KMS::Key')) {
    const aliases = resourcesOfType(template, 'AWS::KMS::Alias')
      .filter(([, a]) => JSON.stringify(props(a).TargetKeyId) === JSON.stringify({ Ref: id }) || JSON.stringify(props(a).TargetKeyId) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))
      .map(([, a]) => String(props(a).AliasName));
    const key = sandbox.kms.createKey({ accountId, region, alias: aliases[0], description: `${stackName}/${id}` });
    physical.set(id, { ref: key.keyId, attributes: { Arn: key.arn, KeyId: key.keyId } });
    keys.push({ logicalId: id, arn: key.arn, aliases });
  }
  for (const [id, r] of Object.entries(template.Resources)) {
    if (physical.has(id)) continue;
    const p = props(r);
    switch (r.Type) {
      case 'AWS::IAM::Role': {
        const name = typeof p.RoleName === 'string' ? p.RoleName : placeholderName(id);
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:iam::${accountId}:role/${name}`, RoleId: `AROA${id.toUpperCase().slice(0, 16)}` } });
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = typeof p.TopicName === 'string' ? p.TopicName : placeholderName(id, 256);
        const arn = `arn:${partition}:sns:${region}:${accountId}:${name}`;
        physical.set(id, { ref: arn, attributes: { TopicArn: arn, TopicName: name } });
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = typeof p.FunctionName === 'string' ? p.FunctionName : placeholderName(id);
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:lambda:${region}:${accountId}:function:${name}` } });
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = typeof p.StateMachineName === 'string' ? p.StateMachineName : placeholderName(id, 80);
        const arn = `arn:${partition}:states:${region}:${accountId}:stateMachine:${name}`;
        physical.set(id, { ref: arn, attributes: { Arn: arn, Name: name } });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = typeof p.LogGroupName === 'string' ? p.LogGroupName : placeholderName(id, 512);
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:logs:${region}:${accountId}:log-group:${name}:*` } });
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = typeof p.BucketName === 'string' ? p.BucketName : placeholderName(id, 63).toLowerCase();
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${region}.amazonaws.com` } });
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const name = typeof p.Name === 'string' ? p.Name : placeholderName(id);
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:scheduler:${region}:${accountId}:schedule/default/${name}` } });
        break;
      }
      case 'AWS::Events::Rule': {
        const name = typeof p.Name === 'string' ? p.Name : placeholderName(id);
        physical.set(id, { ref: name, attributes: { Arn: `arn:${partition}:events:${region}:${accountId}:rule/${name}` } });
        break;
      }
      // Issue 9: the restore-drill network (the sandbox RDS checks that they exist on restore).
      case 'AWS::RDS::DBSubnetGroup': {
        const name = (typeof p.DBSubnetGroupName === 'string' ? p.DBSubnetGroupName : placeholderName(id, 255)).toLowerCase();
        physical.set(id, { ref: name, attributes: {} });
        sandbox.rdsRestore.createDbSubnetGroup(accountId, region, name);
        break;
      }
      case 'AWS::EC2::SecurityGroup': {
        const groupId = `sg-${Buffer.from(`${stackName}/${id}`).toString('hex').slice(-17).padStart(17, '0')}`;
        physical.set(id, { ref: groupId, attributes: { GroupId: groupId } });
        sandbox.rdsRestore.createSecurityGroup(accountId, region, groupId);
        break;
      }
      case 'AWS::KMS::Alias': {
        physical.set(id, { ref: String(p.AliasName), attributes: {} });
        break;
      }
      // Issue 12: the copy slot table (created in the sandbox's DynamoDB with its key and TTL attribute).
      case 'AWS::DynamoDB::Table': {
        const name = typeof p.TableName === 'string' ? p.TableName : placeholderName(id, 255);
        const keys = (p.KeySchema as Array<{ AttributeName: string; KeyType: string }> | undefined) ?? [];
        const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
        if (!hash || keys.length !== 1) throw new Error(`deployStack: ${id}: the sandbox models tables with one (string) partition key only`);
        const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
        const arn = sandbox.dynamodb.createTable({ accountId, region, name, partitionKey: hash, ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}) });
        physical.set(id, { ref: name, attributes: { Arn: arn } });
        break;
      }
      default: {
        const placeholder = `arn:${partition}:sandbox:${region}:${accountId}:${r.Type.replace(/::/g, '-').toLowerCase()}/${id}`;
        physical.set(id, { ref: id, attributes: new Proxy({} as Record<string, string>, { get: (_t, attr) => (typeof attr === 'string' ? (attr === 'Arn' ? placeholder : `${placeholder}/${attr}`) : undefined) }) });
      }
    }
  }

  // Pass 2: policies and the resources that need them.
  for (const [id, r] of resourcesOfType(template, 'AWS::KMS::Key')) {
    const policy = resolve<PolicyDocument | undefined>(props(r).KeyPolicy);
    if (policy) sandbox.kms.putKeyPolicy(physical.get(id)!.attributes.Arn as string, policy);
  }

  const roles: DeployedStack['roles'] = [];
  const attached = new Map<string, PolicyDocument[]>();
  for (const [, r] of [...resourcesOfType(template, 'AWS::IAM::Policy'), ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy')]) {
    const p = props(r);
    const doc = resolve<PolicyDocument>(p.PolicyDocument);
    for (const roleRef of (p.Roles as unknown[] | undefined) ?? []) {
      const roleName = resolve<string>(roleRef);
      attached.set(roleName, [...(attached.get(roleName) ?? []), doc]);
    }
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const p = props(r);
    const name = physical.get(id)!.ref;
    const inline = ((p.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map((x) => resolve<PolicyDocument>(x.PolicyDocument));
    const managed = ((p.ManagedPolicyArns as unknown[] | undefined) ?? []).map((m) => managedPolicy(resolve<string>(m)));
    const arn = sandbox.iam.putRole({
      accountId,
      roleName: name,
      trustPolicy: resolve<PolicyDocument>(p.AssumeRolePolicyDocument),
      policies: [...inline, ...(attached.get(name) ?? []), ...managed],
    });
    roles.push({ logicalId: id, arn, name });
  }

  // S3 buckets (the export bucket and its access-log bucket), with their default KMS key and policy.
  for (const [id, r] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const p = props(r);
    const sse = resolve<{ ServerSideEncryptionConfiguration?: Array<{ ServerSideEncryptionByDefault?: { KMSMasterKeyID?: string } }> } | undefined>(p.BucketEncryption);
    const kmsKeyArn = sse?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    sandbox.s3.createBucket({ accountId, region, name: physical.get(id)!.ref, kmsKeyArn });
  }
  for (const [, r] of resourcesOfType(template, 'AWS::S3::BucketPolicy')) {
    const p = props(r);
    sandbox.s3.putBucketPolicy(resolve<string>(p.Bucket), resolve<PolicyDocument>(p.PolicyDocument));
  }

  const topics: DeployedStack['topics'] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::SNS::Topic')) {
    const p = props(r);
    const name = physical.get(id)!.attributes.TopicName as string;
    const kmsMasterKeyId = p.KmsMasterKeyId === undefined ? undefined : resolve<string>(p.KmsMasterKeyId);
    const arn = sandbox.sns.createTopic({ accountId, region, name, kmsMasterKeyId });
    topics.push({ logicalId: id, arn });
  }
  // Topic policies replace SNS's default policy (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
  for (const [, r] of resourcesOfType(template, 'AWS::SNS::TopicPolicy')) {
    const p = props(r);
    const doc = resolve<PolicyDocument>(p.PolicyDocument);
    for (const topicRef of (p.Topics as unknown[] | undefined) ?? []) sandbox.sns.setTopicPolicy(resolve<string>(topicRef), doc);
  }

  const functions: DeployedFunction[] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const binding = bindings.functions.get(id);
    if (!binding) continue; // CDK's own helper functions (log retention, custom resources)
    const { entry } = binding;
    const p = props(r);
    const environment = resolve<Record<string, string>>((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {});
    const taskRoot = binding.bundledFiles ? writeBundledFiles(binding.bundledFiles) : undefined;
    functions.push({
      logicalId: id,
      functionName: physical.get(id)!.ref,
      arn: physical.get(id)!.attributes.Arn as string,
      entry,
      roleArn: resolve<string>(p.Role),
      accountId,
      region,
      environment,
      timeoutSeconds: typeof p.Timeout === 'number' ? p.Timeout : 3,
      ...(taskRoot !== undefined && { taskRoot }),
    });
  }

  const stateMachines: DeployedStateMachine[] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
    const p = props(r);
    const raw = p.DefinitionString ?? p.Definition;
    const resolved = resolve<unknown>(raw);
    const definition = (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as Record<string, unknown>;
    const kind = bindings.stateMachines.get(id);
    stateMachines.push({
      logicalId: id,
      name: physical.get(id)!.attributes.Name as string,
      arn: physical.get(id)!.attributes.Arn as string,
      kind: typeof kind === 'string' ? kind : id,
      roleArn: resolve<string>(p.RoleArn),
      accountId,
      region,
      definition,
    });
  }

  const rules: DeployedStack['rules'] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const p = resolve<Record<string, unknown>>(props(r));
    if (!p.EventPattern) continue; // scheduled rules are not simulated (EventBridge Scheduler drives the schedule)
    const name = physical.get(id)!.ref;
    const targets = ((p.Targets as Array<Record<string, unknown>> | undefined) ?? []).map((t) => ({
      id: String(t.Id),
      arn: String(t.Arn),
      roleArn: t.RoleArn === undefined ? undefined : String(t.RoleArn),
      input: t.Input === undefined ? undefined : String(t.Input),
      inputPath: t.InputPath === undefined ? undefined : String(t.InputPath),
      inputTransformer: t.InputTransformer as { InputPathsMap?: Record<string, string>; InputTemplate: string } | undefined,
    }));
    const eventPattern = typeof p.EventPattern === 'string' ? (JSON.parse(p.EventPattern) as object) : (p.EventPattern as object);
    sandbox.events.putRule({ accountId, region, name, eventPattern, state: p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED', targets });
    rules.push({ logicalId: id, name, targets: targets.map((t) => t.arn) });
  }

  const alarms: DeployedStack['alarms'] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
    const p = resolve<Record<string, unknown>>(props(r));
    const name = typeof p.AlarmName === 'string' ? p.AlarmName : placeholderName(id, 255);
    const actions = [...new Set([...((p.AlarmActions as unknown[] | undefined) ?? []), ...((p.OKActions as unknown[] | undefined) ?? [])].map(String))];
    alarms.push({ logicalId: id, arn: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${name}`, actions });
  }

  return { env, functions, stateMachines, topics, keys, roles, rules, alarms, physical };
}

/**
 * AWS managed policies the sandbox knows. Only what the workflow's calls could need is modelled;
 * an unknown managed policy grants nothing (and is reported by the sandbox's IAM checks as a denial).
 */
function managedPolicy(arn: string): PolicyDocument {
  const name = arn.split('/').pop() ?? arn;
  switch (name) {
    case 'AWSLambdaBasicExecutionRole':
      return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }] };
    default:
      return { Version: '2012-10-17', Statement: [] };
  }
}

/**
 * Writes a function's bundled files (as the bundle would hold them) into a folder under the OS temp
 * folder named by their content hash, so identical deployments share one folder and nothing grows
 * per test. @returns the folder (the function's LAMBDA_TASK_ROOT)
 */
function writeBundledFiles(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(JSON.stringify(Object.entries(files).sort())).digest('hex').slice(0, 32);
  const dir = join(tmpdir(), 'rsv-sandbox-task-roots', hash);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) throw new Error(`deployStack: invalid bundled file name ${name}`);
    const path = join(dir, name);
    // Write to a unique name and rename: concurrent deployments (test workers) never see half a file.
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  }
  return dir;
}
