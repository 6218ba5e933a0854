/** cdk-nag acknowledgements specific to the restore drills (issue 9). */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A Lambda function in a VPC needs to create and delete its network interfaces; CDK attaches the
 * AWS managed policy AWSLambdaVPCAccessExecutionRole for that (ec2:CreateNetworkInterface etc.
 * support no resource-level scoping worth writing by hand).
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
 */
export function acknowledgeIam4VpcAccess(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    reason: 'validate-restore runs in the drill VPC; Lambda needs these ENI permissions (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions)',
  });
}
