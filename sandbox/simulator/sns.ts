/**
 * The simulated Amazon SNS: topics and Publish; published messages are kept for assertions.
 * Source: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
import type { VirtualClock } from './clock';
import { checkServicePrincipal, checkWithResourcePolicy, deniedMessage, type CallContext } from './context';
import { awsError, SandboxUsageError } from './errors';
import type { IamStore } from './identity';
import type { KmsStore } from './kms';
import type { PolicyDocument } from './iam-eval';

/** Input of {@link SnsStore.createTopic}. */
export interface CreateTopicInput {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  /** KMS key (id, ARN or alias) for server-side encryption; publishers then need kms:GenerateDataKey* and kms:Decrypt on it. */
  readonly kmsMasterKeyId?: string;
  /** Topic access policy; default: the owner account (`arn:aws:iam::<acct>:root`) may do `SNS:*`. */
  readonly policy?: PolicyDocument;
}

/** A message published to a topic. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  /** Virtual time of the publish, ISO-8601 UTC. */
  readonly at: string;
  readonly messageId: string;
  /** Publisher: role ARN or account root ARN. */
  readonly principalArn: string;
}

interface Topic {
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly kmsMasterKeyId?: string;
  policy: PolicyDocument;
}

/** One alarm action CloudWatch attempted: delivered, or failed (recorded, as in the alarm's history; nobody is told). */
export interface AlarmDelivery {
  readonly alarmArn: string;
  readonly topicArn: string;
  /** Virtual time, ISO-8601 UTC. */
  readonly at: string;
  readonly status: 'delivered' | 'failed';
  /** For `failed`: AWS's alarm-history wording of why. */
  readonly error?: string;
  /** For `delivered`: the message id. */
  readonly messageId?: string;
}

/** Max Message size, bytes (256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** Topics and the messages published to them. */
export class SnsStore {
  private readonly topics = new Map<string, Topic>();
  readonly messages: PublishedMessage[] = [];
  /** Alarm actions attempted by {@link SnsStore.alarmPublish}, in order. */
  readonly alarmDeliveries: AlarmDelivery[] = [];
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
    private readonly kms: KmsStore,
  ) {}

  /** Creates a topic. @returns `arn:aws:sns:<region>:<acct>:<name>` @throws SandboxUsageError for an invalid name */
  createTopic(t: CreateTopicInput): string {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(t.name)) throw new SandboxUsageError(`createTopic: invalid topic name ${t.name}`);
    const arn = `arn:aws:sns:${t.region}:${t.accountId}:${t.name}`;
    this.topics.set(arn, {
      arn,
      accountId: t.accountId,
      region: t.region,
      ...(t.kmsMasterKeyId ? { kmsMasterKeyId: t.kmsMasterKeyId } : {}),
      policy: t.policy ?? {
        Version: '2012-10-17',
        Statement: [{ Sid: 'owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${t.accountId}:root` }, Action: 'SNS:*', Resource: arn }],
      },
    });
    return arn;
  }

  /** Replaces a topic's access policy. @throws SandboxUsageError for an unknown topic */
  setTopicPolicy(topicArn: string, policy: PolicyDocument): void {
    const t = this.topics.get(topicArn);
    if (!t) throw new SandboxUsageError(`unknown topic ${topicArn}`);
    t.policy = policy;
  }

  /**
   * Publish. Input: TopicArn (or TargetArn), Message (1 byte - 256 KiB UTF-8), Subject (optional:
   * 1-100 printable ASCII characters, starting with a letter, digit or punctuation, no line breaks).
   * @returns `{ MessageId }`
   * @throws `NotFoundException` (no such topic in the caller's Region), `InvalidParameterException`
   *   (Subject/Message invalid), `AuthorizationErrorException` (topic policy / identity policy),
   *   `KMSDisabledException` / `KMSAccessDeniedException` / `KMSNotFoundException` (encrypted topic)
   */
  publish(input: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string }, ctx: CallContext): Record<string, unknown> {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const topic = this.topics.get(topicArn);
    if (!topic || topic.region !== ctx.region) throw awsError('sns', 'NotFoundException', 'Topic does not exist');
    if (input.Subject !== undefined) {
      const s = input.Subject;
      if (s.length === 0 || s.length > 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(s)) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
    }
    if (input.Message === undefined || input.Message.length === 0) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(input.Message, 'utf8') > SNS_MAX_MESSAGE_BYTES) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');

    const req = { action: 'SNS:Publish', resource: topic.arn };
    const why = checkWithResourcePolicy(this.iam, ctx.principal, topic.policy, topic.accountId, req);
    if (why) throw awsError('sns', 'AuthorizationErrorException', deniedMessage(ctx.principal.callerArn, req, why));

    if (topic.kmsMasterKeyId && !topic.kmsMasterKeyId.startsWith('alias/aws/')) {
      const key = this.kms.resolve(topic.accountId, topic.region, topic.kmsMasterKeyId);
      if (!key) throw awsError('sns', 'KMSNotFoundException', `Invalid keyId ${topic.kmsMasterKeyId}`);
      const problem = this.kms.checkUse(ctx.principal, key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sns');
      if (problem?.problem === 'disabled') throw awsError('sns', 'KMSDisabledException', `${key.arn} is disabled.`);
      if (problem) {
        throw awsError('sns', 'KMSAccessDeniedException', `User: ${ctx.principal.callerArn} is not authorized to perform: ${problem.action} on resource: ${key.arn}`);
      }
    }
    this.seq++;
    const messageId = `00000000-5b5d-4e6f-8a1b-${this.seq.toString(16).padStart(12, '0')}`;
    this.messages.push({
      topicArn: topic.arn,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      message: input.Message,
      at: this.clock.iso(),
      messageId,
      principalArn: ctx.principalArn,
    });
    return { MessageId: messageId };
  }

  /**
   * A CloudWatch alarm action publishing to a topic, as CloudWatch does it: the request is made by the
   * service principal `cloudwatch.amazonaws.com` with `aws:SourceArn` = the alarm ARN and
   * `aws:SourceAccount` = the alarm's account, and must be allowed by the topic policy; for an
   * encrypted topic the key policy must then let `cloudwatch.amazonaws.com` use the key
   * (`kms:GenerateDataKey`, `kms:Decrypt`). Which condition keys AWS sets on the KMS request SNS makes
   * for CloudWatch is not documented, so none are sent (the stricter reading: only an unconditional
   * statement for the service principal passes; a `kms:CallerAccount` condition is known to fail).
   * A failure is not thrown (AWS tells nobody): it is recorded in {@link alarmDeliveries} with the
   * alarm-history wording. Delivered messages go to `messages` with principal `cloudwatch.amazonaws.com`.
   * Sources: docs/aws-behaviour.md §18b; https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger;
   * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
   * @param alarmArn `arn:aws:cloudwatch:<region>:<acct>:alarm:<name>`
   * @returns the recorded delivery
   * @throws SandboxUsageError for a malformed alarm ARN
   */
  alarmPublish(alarmArn: string, topicArn: string, message = `{"AlarmArn":"${alarmArn}","NewStateValue":"ALARM"}`): AlarmDelivery {
    const alarm = /^arn:aws:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:.+$/.exec(alarmArn);
    if (!alarm) throw new SandboxUsageError(`alarmPublish: ${alarmArn} is not an alarm ARN`);
    const [, region, account] = alarm;
    const record = (d: Omit<AlarmDelivery, 'alarmArn' | 'topicArn' | 'at'>): AlarmDelivery => {
      const rec = { alarmArn, topicArn, at: this.clock.iso(), ...d };
      this.alarmDeliveries.push(rec);
      return rec;
    };
    const topic = this.topics.get(topicArn);
    if (!topic || topic.region !== region) return record({ status: 'failed', error: `Failed to execute action ${topicArn}. Received error: "Topic does not exist"` });
    const req = { action: 'sns:Publish', resource: topic.arn, context: { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': account! } };
    if (checkServicePrincipal('cloudwatch.amazonaws.com', topic.policy, topic.accountId, req)) {
      return record({ status: 'failed', error: `Failed to execute action ${topicArn}. Received error: "Resource: ${alarmArn} is not authorized to perform: SNS:Publish on resource: ${topicArn}"` });
    }
    if (topic.kmsMasterKeyId) {
      const key = this.kms.resolve(topic.accountId, topic.region, topic.kmsMasterKeyId);
      // An AWS managed key (alias/aws/sns) never lets CloudWatch use it.
      const denied =
        !key || !key.enabled || topic.kmsMasterKeyId.startsWith('alias/aws/')
          ? 'kms:GenerateDataKey'
          : (['kms:GenerateDataKey', 'kms:Decrypt'] as const).find((action) => checkServicePrincipal('cloudwatch.amazonaws.com', key.policy, key.accountId, { action, resource: key.arn }));
      if (denied) return record({ status: 'failed', error: `Failed to execute action ${topicArn}. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."` });
    }
    this.seq++;
    const messageId = `00000000-5b5d-4e6f-8a1b-${this.seq.toString(16).padStart(12, '0')}`;
    this.messages.push({ topicArn: topic.arn, message, at: this.clock.iso(), messageId, principalArn: 'cloudwatch.amazonaws.com' });
    return record({ status: 'delivered', messageId });
  }
}
