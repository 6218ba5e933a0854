/**
 * The network restore drills run in (issue 9), in the vault account: a VPC with isolated subnets
 * only (no internet gateway, no NAT), a DB subnet group the drill DB instances / DB clusters are
 * restored into, a security group for them that admits only the validate-restore function on the
 * PostgreSQL and MySQL ports, a security group for that function, an interface endpoint for
 * Secrets Manager (the function reads the master user secret), and VPC flow logs.
 *
 * A restored database is never publicly accessible: the restore passes `PubliclyAccessible: false`
 * and the subnets have no route to the internet anyway. This is also why the drill does not rely
 * on a default VPC (AWS Backup restore testing fails without one).
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/vpc-endpoint-overview.html
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/** Database ports the validate-restore function may reach: PostgreSQL, MySQL/MariaDB. */
export const DRILL_DB_PORTS = [5432, 3306] as const;

/** Props of {@link DrillNetwork}. */
export interface DrillNetworkProps {
  /** IPv4 CIDR of the VPC, e.g. `10.87.0.0/24`. */
  readonly cidr: string;
  /** DB subnet group name (lower-case), e.g. `<deploymentName>-drill`. */
  readonly subnetGroupName: string;
  /**
   * Availability Zones of the subnets (a DB subnet group needs at least two). Given explicitly so
   * that `cdk synth` never looks them up (it runs offline, without credentials).
   * @default [`<region>a`, `<region>b`]
   */
  readonly availabilityZones?: readonly string[];
}

/** See the module comment. */
export class DrillNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly subnetGroup: rds.SubnetGroup;
  /** On the drill DB instances / DB clusters. */
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  /** On the validate-restore function. */
  readonly validatorSecurityGroup: ec2.SecurityGroup;
  readonly subnetGroupName: string;

  constructor(scope: Construct, id: string, props: DrillNetworkProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...(props.availabilityZones ?? [`${region}a`, `${region}b`])],
      natGateways: 0,
      subnetConfiguration: [{ name: 'drill', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 28 }],
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL });

    this.validatorSecurityGroup = new ec2.SecurityGroup(this, 'ValidatorSecurityGroup', {
      vpc: this.vpc,
      description: 'rds-snapshot-vault validate-restore: reaches the drill databases and the Secrets Manager endpoint only',
      allowAllOutbound: false,
    });
    this.databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'rds-snapshot-vault restore drills: admits validate-restore on the database ports only',
      allowAllOutbound: false,
    });
    for (const port of DRILL_DB_PORTS) {
      this.databaseSecurityGroup.addIngressRule(this.validatorSecurityGroup, ec2.Port.tcp(port), `validate-restore to the drill database (${port})`);
      this.validatorSecurityGroup.addEgressRule(this.databaseSecurityGroup, ec2.Port.tcp(port), `to the drill database (${port})`);
    }
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'rds-snapshot-vault restore drills: the Secrets Manager endpoint, HTTPS from validate-restore',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(this.validatorSecurityGroup, ec2.Port.tcp(443), 'validate-restore to Secrets Manager');
    this.validatorSecurityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'to the Secrets Manager endpoint');
    this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      securityGroups: [endpointSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });

    this.subnetGroupName = props.subnetGroupName;
    this.subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      description: 'rds-snapshot-vault restore drills (isolated subnets)',
      vpc: this.vpc,
      subnetGroupName: props.subnetGroupName,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
