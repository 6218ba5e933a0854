import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TRANSIENT_ERROR_NAMES } from '../contracts/errors';

/**
 * Lambda service faults that Step Functions reports when the invocation itself failed
 * (not the function's code). Source: docs/aws-behaviour.md §20,
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** Every error name a Task retries: Lambda service faults plus the AWS throttling/5xx names handlers let through. */
export const RETRYABLE_ERRORS: readonly string[] = [...LAMBDA_SERVICE_ERRORS, ...TRANSIENT_ERROR_NAMES];

/**
 * The one retry policy of every Task: only transient errors, by name; exponential backoff from
 * 2 s, factor 2, full jitter, at most 60 s between tries, 6 tries. Everything else goes to the
 * state machine's single failure path.
 */
export function retryTransient(task: sfn.TaskStateBase): void {
  task.addRetry({
    errors: [...RETRYABLE_ERRORS],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
