/**
 * An in-process IAM `GetRole` over the sandbox's role store, so `rsv preflight --local` checks the
 * vault role with the same `@aws-sdk/client-iam` call as against AWS (the sandbox itself does not
 * simulate the IAM API). A middleware at the `initialize` step answers `GetRole` and never reaches the
 * network; other commands throw `NotImplemented`.
 *
 * As AWS does, `Role.AssumeRolePolicyDocument` is the URL-encoded JSON of the trust policy, and a
 * missing role is `NoSuchEntityException`. The caller must be an administrator of that account (the
 * sandbox's account root; `iam:GetRole` is not evaluated).
 * Source: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
 */
import { IAMClient, IAMServiceException, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { AwsSandbox } from '../sandbox/simulator/index';

const META = { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };

/** An `IAMClient` of `accountId` whose GetRole is answered from the sandbox's roles. */
export function localIamClient(sandbox: Pick<AwsSandbox, 'iam' | 'partition'>, accountId: string): IAMClient {
  const client = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      if (command !== 'GetRole') throw new IAMServiceException({ name: 'NotImplemented', message: `The local IAM API does not implement ${command}`, $fault: 'client', $metadata: { ...META, httpStatusCode: 400 } });
      const { RoleName } = args.input as { RoleName?: string };
      const arn = `arn:${sandbox.partition}:iam::${accountId}:role/${RoleName ?? ''}`;
      const role = sandbox.iam.getRole(arn);
      if (!role) throw new NoSuchEntityException({ message: `The role with name ${RoleName} cannot be found.`, $metadata: { ...META, httpStatusCode: 404 } });
      const output = {
        Role: { Path: '/', RoleName: role.roleName, RoleId: role.roleId, Arn: role.arn, CreateDate: new Date(0), AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.trustPolicy)), MaxSessionDuration: role.maxSessionDurationSeconds },
      };
      return { output: { $metadata: { ...META, requestId: 'local' }, ...output } as never, response: {} };
    },
    { step: 'initialize', name: 'rsvLocalIam', priority: 'high' },
  );
  return client;
}
