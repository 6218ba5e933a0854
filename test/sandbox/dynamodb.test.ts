/**
 * The sandbox's DynamoDB (sandbox/simulator/dynamodb.ts, docs/aws-behaviour.md §23): conditional writes,
 * update expressions, validation, Time to Live that deletes late, and IAM.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { expectAwsError, newWorld, R1, R2, root, SOURCE, VAULT, type World } from './helpers';

let w: World;
afterEach(() => w.sandbox.uninstall());

const TABLE = 'slots';
const ddb = (principal: string, region = R1) => new DynamoDBClient({ region, credentials: w.sandbox.credentialsFor(principal) });
const key = (slot: string) => ({ slot: { S: slot } });
const get = async (slot: string) => (await ddb(root(SOURCE)).send(new GetItemCommand({ TableName: TABLE, Key: key(slot), ConsistentRead: true }))).Item;

function world(): string {
  w = newWorld();
  return w.sandbox.dynamodb.createTable({ accountId: SOURCE, region: R1, name: TABLE, partitionKey: 'slot', ttlAttribute: 'expiresAt' });
}

/** SET #v = :v under a condition, as the slot table writes. */
const put = (slot: string, values: Record<string, AttributeValue>, condition?: { expr: string; names?: Record<string, string>; values?: Record<string, AttributeValue> }) => {
  const names: Record<string, string> = { ...(condition?.names ?? {}) };
  const sets: string[] = [];
  const exprValues: Record<string, AttributeValue> = { ...(condition?.values ?? {}) };
  for (const [k, v] of Object.entries(values)) {
    names[`#${k}`] = k;
    exprValues[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  return ddb(root(SOURCE)).send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: key(slot),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ...(condition && { ConditionExpression: condition.expr }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: exprValues,
    }),
  );
};

describe('DynamoDB UpdateItem conditions', () => {
  it('creates the item when absent; attribute_not_exists holds only then; a false condition fails with ConditionalCheckFailedException and changes nothing', async () => {
    world();
    const first = { expr: 'attribute_not_exists(#version)', names: { '#version': 'version' } };
    await put('a', { version: { N: '1' }, holders: { M: {} } }, first);
    expect(await get('a')).toEqual({ slot: { S: 'a' }, version: { N: '1' }, holders: { M: {} } });
    const e = await expectAwsError(put('a', { version: { N: '2' } }, first), 'ConditionalCheckFailedException');
    expect(e.message).toBe('The conditional request failed');
    expect((await get('a'))?.version).toEqual({ N: '1' });
    // The optimistic write of the slot table: only the writer that read version 1 wins.
    const at = (v: string) => ({ expr: '#version = :seen', names: { '#version': 'version' }, values: { ':seen': { N: v } } });
    await put('a', { version: { N: '2' } }, at('1'));
    await expectAwsError(put('a', { version: { N: '3' } }, at('1')), 'ConditionalCheckFailedException');
    expect((await get('a'))?.version).toEqual({ N: '2' });
    // A comparison with an attribute the item lacks is false, not an error; so is one across types.
    await expectAwsError(put('b', { x: { N: '1' } }, at('0')), 'ConditionalCheckFailedException');
    expect(await get('b')).toBeUndefined();
    await expectAwsError(put('a', { version: { N: '9' } }, { expr: '#version = :s', names: { '#version': 'version' }, values: { ':s': { S: '2' } } }), 'ConditionalCheckFailedException');
  });

  it('evaluates size() of a map, AND/OR/NOT and parentheses against the stored item', async () => {
    world();
    await put('a', { holders: { M: { c1: { N: '10' }, c2: { N: '20' } } } });
    const cond = (expr: string, values: Record<string, AttributeValue> = {}) => put('a', { n: { N: '1' } }, { expr, names: { '#holders': 'holders' }, values });
    await expect(cond('size(#holders) < :limit', { ':limit': { N: '3' } })).resolves.toBeDefined();
    await expectAwsError(cond('size(#holders) < :limit', { ':limit': { N: '2' } }), 'ConditionalCheckFailedException');
    await expect(cond('NOT (size(#holders) >= :a) OR attribute_exists(#holders)', { ':a': { N: '1' } })).resolves.toBeDefined();
    await expectAwsError(cond('attribute_exists(#holders) AND size(#holders) > :a', { ':a': { N: '5' } }), 'ConditionalCheckFailedException');
  });

  it('SET with + and if_not_exists reads the old item, REMOVE deletes a map entry, ReturnValues gives the old or new item', async () => {
    world();
    const client = ddb(root(SOURCE));
    const bump = () =>
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key('a'),
          UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one, #holders = if_not_exists(#holders, :empty)',
          ExpressionAttributeNames: { '#n': 'n', '#holders': 'holders' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':empty': { M: {} } },
          ReturnValues: 'ALL_NEW',
        }),
      );
    expect((await bump()).Attributes?.n).toEqual({ N: '1' });
    expect((await bump()).Attributes?.n).toEqual({ N: '2' });
    await client.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key('a'), UpdateExpression: 'SET #h.#c = :t', ExpressionAttributeNames: { '#h': 'holders', '#c': 'copy-1' }, ExpressionAttributeValues: { ':t': { N: '99' } } }),
    );
    const old = await client.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key('a'), UpdateExpression: 'REMOVE #h.#c', ExpressionAttributeNames: { '#h': 'holders', '#c': 'copy-1' }, ReturnValues: 'ALL_OLD' }),
    );
    expect(old.Attributes?.holders).toEqual({ M: { 'copy-1': { N: '99' } } });
    expect((await get('a'))?.holders).toEqual({ M: {} });
  });
});

describe('DynamoDB validation (ValidationException)', () => {
  it('refuses unused or undefined names and values, key attributes, a wrong key, overlapping paths, SET below an absent map, arithmetic on a missing attribute', async () => {
    world();
    const client = ddb(root(SOURCE));
    const send = (i: Partial<ConstructorParameters<typeof UpdateItemCommand>[0]>) => client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('a'), ...i }));
    const cases: Array<[Partial<ConstructorParameters<typeof UpdateItemCommand>[0]>, RegExp]> = [
      [{ UpdateExpression: 'SET #a = :a', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } } }, /ExpressionAttributeValues unused.*:b/],
      [{ UpdateExpression: 'SET #a = :a', ExpressionAttributeNames: { '#a': 'a', '#b': 'b' }, ExpressionAttributeValues: { ':a': { N: '1' } } }, /ExpressionAttributeNames unused.*#b/],
      [{ UpdateExpression: 'SET #a = :a', ExpressionAttributeValues: { ':a': { N: '1' } } }, /attribute name used in the document path is not defined.*#a/],
      [{ UpdateExpression: 'SET #a = :b', ExpressionAttributeNames: { '#a': 'a' } }, /attribute value used in expression is not defined.*:b/],
      [{ UpdateExpression: 'SET #k = :a', ExpressionAttributeNames: { '#k': 'slot' }, ExpressionAttributeValues: { ':a': { S: 'x' } } }, /part of the key/],
      [{ Key: { slot: { S: 'a' }, other: { S: 'b' } }, UpdateExpression: 'SET #a = :a', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':a': { N: '1' } } }, /does not match the schema/],
      [{ Key: { slot: { N: '1' } }, UpdateExpression: 'SET #a = :a', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':a': { N: '1' } } }, /does not match the schema/],
      [{ UpdateExpression: 'SET #a = :a, #a.#b = :a', ExpressionAttributeNames: { '#a': 'a', '#b': 'b' }, ExpressionAttributeValues: { ':a': { M: {} } } }, /paths overlap/],
      [{ UpdateExpression: 'SET #m.#c = :a', ExpressionAttributeNames: { '#m': 'missing', '#c': 'c' }, ExpressionAttributeValues: { ':a': { N: '1' } } }, /document path provided in the update expression is invalid/],
      [{ UpdateExpression: 'SET #n = #n + :a', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':a': { N: '1' } } }, /refers to an attribute that does not exist/],
      // Stricter than AWS (bare names that are not reserved words are accepted there): see the module comment.
      [{ UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { N: '1' } } }, /placeholder/],
    ];
    for (const [input, message] of cases) {
      const e = await expectAwsError(send(input), 'ValidationException');
      expect(e.message, JSON.stringify(input)).toMatch(message);
    }
    expect(await get('a')).toBeUndefined();
  });
});

describe('DynamoDB Time to Live deletes late', () => {
  it('an expired item is still read and still matched by conditions until TTL deletes it, then it is gone', async () => {
    world();
    const now = Math.floor(w.clock.nowMs() / 1000);
    await put('expired', { expiresAt: { N: String(now + 60) }, version: { N: '1' } });
    await put('live', { expiresAt: { N: String(now + 86_400) } });
    await put('no-ttl', { version: { N: '1' } });
    w.clock.advance(3 * 86_400);
    // Days later, still there: the code must judge expiry itself.
    expect((await get('expired'))?.version).toEqual({ N: '1' });
    await expectAwsError(put('expired', { version: { N: '2' } }, { expr: 'attribute_not_exists(#version)', names: { '#version': 'version' } }), 'ConditionalCheckFailedException');
    expect(w.sandbox.dynamodb.expireTtlItems()).toBe(2);
    expect(await get('expired')).toBeUndefined();
    expect(await get('live')).toBeUndefined();
    expect(await get('no-ttl')).toBeDefined();
  });
});

describe('DynamoDB IAM and tables', () => {
  it('a role needs dynamodb:GetItem / dynamodb:UpdateItem on the table ARN; another account is denied; an unknown table or Region is ResourceNotFoundException; unknown credentials are UnrecognizedClientException', async () => {
    const arn = world();
    const role = w.sandbox.iam.putRole({
      accountId: SOURCE,
      roleName: 'reader',
      trustPolicy: { Statement: [] },
      policies: [{ Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arn }] }],
    });
    await expect(ddb(role).send(new GetItemCommand({ TableName: TABLE, Key: key('a') }))).resolves.toBeDefined();
    const denied = await expectAwsError(
      ddb(role).send(new UpdateItemCommand({ TableName: TABLE, Key: key('a'), UpdateExpression: 'SET #a = :a', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':a': { N: '1' } } })),
      'AccessDeniedException',
    );
    expect(denied.message).toContain(`is not authorized to perform: dynamodb:UpdateItem on resource: ${arn}`);
    await expectAwsError(ddb(role).send(new GetItemCommand({ TableName: 'other', Key: key('a') })), 'AccessDeniedException');
    await expectAwsError(ddb(root(VAULT)).send(new GetItemCommand({ TableName: arn, Key: key('a') })), 'AccessDeniedException');
    await expectAwsError(ddb(root(SOURCE)).send(new GetItemCommand({ TableName: 'missing', Key: key('a') })), 'ResourceNotFoundException');
    await expectAwsError(ddb(root(SOURCE), R2).send(new GetItemCommand({ TableName: TABLE, Key: key('a') })), 'ResourceNotFoundException');
    const stranger = new DynamoDBClient({ region: R1, credentials: { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' } });
    await expectAwsError(stranger.send(new GetItemCommand({ TableName: TABLE, Key: key('a') })), 'UnrecognizedClientException');
  });
});
