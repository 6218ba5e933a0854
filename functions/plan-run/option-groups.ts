/**
 * Option groups of DB instances (docs/aws-behaviour.md §15a): which of their options are permanent
 * or persistent, which makes their snapshots impossible to share with another account (except
 * Oracle's Timezone and OLS options).
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOptionGroups.html
 */
import { DescribeOptionGroupsCommand, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import { isAwsError } from '../../contracts/errors.js';

/** The permanent/persistent options that stop a DB instance's snapshots from being shared. */
export interface LockedOptions {
  readonly optionGroupName: string;
  /** Option names, e.g. `TDE`. */
  readonly options: readonly string[];
}

/**
 * For each of `identifiers` (DB instances, compared lower-case), the option group options that stop
 * its snapshots from being shared, or nothing when there are none (or the DB instance or option
 * group does not exist: create-copy then reports that). Cost is independent of how many databases
 * are asked about: one paginated DescribeDBInstances pass (100 per page) and one DescribeOptionGroups
 * per distinct option group name in use.
 * @returns lower-case identifier -> {@link LockedOptions}, only for databases that have some
 */
export async function lockedOptionsOf(rds: RDSClient, identifiers: readonly string[]): Promise<Map<string, LockedOptions>> {
  const wanted = new Set(identifiers.map((i) => i.toLowerCase()));
  const result = new Map<string, LockedOptions>();
  if (wanted.size === 0) return result;
  const groupsOf = new Map<string, string[]>();
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBInstances ?? []) {
      const id = db.DBInstanceIdentifier?.toLowerCase();
      if (id === undefined || !wanted.has(id)) continue;
      groupsOf.set(id, (db.OptionGroupMemberships ?? []).map((m) => m.OptionGroupName).filter((n): n is string => n !== undefined));
    }
  }
  const lockedByGroup = new Map<string, string[]>();
  for (const name of new Set([...groupsOf.values()].flat())) {
    let groups;
    try {
      groups = (await rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: name }))).OptionGroupsList ?? [];
    } catch (err) {
      if (isAwsError(err, 'OptionGroupNotFoundFault')) continue;
      throw err;
    }
    // Oracle's Timezone and OLS options are permanent/persistent yet shareable (USER_ShareSnapshot.html).
    lockedByGroup.set(
      name,
      groups
        .flatMap((g) => (g.Options ?? []).map((o) => ({ ...o, oracle: (g.EngineName ?? '').startsWith('oracle') })))
        .filter((o) => (o.Permanent === true || o.Persistent === true) && !(o.oracle && ['timezone', 'ols'].includes((o.OptionName ?? '').toLowerCase())))
        .map((o) => o.OptionName ?? '?'),
    );
  }
  for (const [id, names] of groupsOf) {
    for (const name of names) {
      const options = lockedByGroup.get(name) ?? [];
      if (options.length > 0) {
        result.set(id, { optionGroupName: name, options });
        break;
      }
    }
  }
  return result;
}
