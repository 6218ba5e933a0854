/**
 * Option groups of a DB instance (docs/aws-behaviour.md §15a): which of its options are permanent
 * or persistent, which makes its snapshots impossible to share with another account.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOptionGroups.html
 */
import { DescribeDBInstancesCommand, DescribeOptionGroupsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../shared/errors.js';

/**
 * The permanent or persistent options of the DB instance's option group(s) (except Oracle Timezone
 * and OLS, which do not stop sharing), or undefined when it
 * has none (or the DB instance / option group does not exist: create-copy then reports that).
 * Calls DescribeDBInstances and DescribeOptionGroups (by OptionGroupName).
 * @returns `{ optionGroupName, options }` with the option names
 */
export async function lockedOptions(rds: RDSClient, dbInstanceIdentifier: string): Promise<{ optionGroupName: string; options: string[] } | undefined> {
  let names: string[];
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbInstanceIdentifier }));
    names = (out.DBInstances?.[0]?.OptionGroupMemberships ?? []).map((m) => m.OptionGroupName).filter((n): n is string => n !== undefined);
  } catch (err) {
    if (isAwsError(err, 'DBInstanceNotFound')) return undefined;
    throw err;
  }
  for (const name of names) {
    let groups;
    try {
      groups = (await rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: name }))).OptionGroupsList ?? [];
    } catch (err) {
      if (isAwsError(err, 'OptionGroupNotFoundFault')) continue;
      throw err;
    }
    // Oracle's Timezone and OLS options are permanent/persistent yet shareable (USER_ShareSnapshot.html).
    const options = groups
      .flatMap((g) => (g.Options ?? []).map((o) => ({ ...o, oracle: (g.EngineName ?? '').startsWith('oracle') })))
      .filter((o) => (o.Permanent === true || o.Persistent === true) && !(o.oracle && ['timezone', 'ols'].includes((o.OptionName ?? '').toLowerCase())))
      .map((o) => o.OptionName ?? '?');
    if (options.length > 0) return { optionGroupName: name, options };
  }
  return undefined;
}
