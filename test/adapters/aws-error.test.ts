import { AccessDeniedException, ECSServiceException, InvalidParameterException, ServerException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { awsFailure } from '../../src/adapters/aws/aws-error.js';
import { AccessDeniedError, EcsMigrateError, PermanentAwsError, ServiceNotFoundError, TransientAwsError } from '../../src/errors.js';

const OPERATION = 'ecs:UpdateService';
const FIX = 'check SERVICE';

/** An SDK service error as the client throws it after its own retries. */
function serviceError(name: string, status: number, fault: 'client' | 'server' = 'client'): ECSServiceException {
  return new ECSServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status, attempts: 3 }, message: `${name} happened` });
}

/** A Node.js socket error as the SDK's HTTP handler rejects with it (the retry middleware adds `$metadata`). */
function networkError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code, $metadata: { attempts: 3 } });
}

describe('awsFailure', () => {
  it.each([
    ['ThrottlingException', serviceError('ThrottlingException', 400)],
    ['ProvisionedThroughputExceededException', serviceError('ProvisionedThroughputExceededException', 400)],
    ['HTTP 429 under any name', serviceError('SomethingNew', 429)],
    ['HTTP 500', new ServerException({ $metadata: { httpStatusCode: 500 }, message: 'internal' })],
    ['HTTP 503', serviceError('ServiceUnavailableException', 503, 'server')],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ECONNREFUSED', networkError('ECONNREFUSED')],
    ['ENOTFOUND', networkError('ENOTFOUND')],
    ['TimeoutError', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' })],
    [
      "ECS's registration race (ClientException: Too many concurrent attempts)",
      new ECSServiceException({
        name: 'ClientException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Too many concurrent attempts to create a new revision of the specified family.',
      }),
    ],
    [
      "DynamoDB's write to an item a transaction is writing (TransactionConflictException, a 400)",
      serviceError('TransactionConflictException', 400),
    ],
  ])('classifies %s as transient, keeping the cause', (_, error) => {
    // Act
    const failure = awsFailure(error, OPERATION, FIX);

    // Assess
    expect(failure).toBeInstanceOf(TransientAwsError);
    expect((failure as Error).cause).toBe(error);
    expect((failure as Error).message).toMatch(/^ecs:UpdateService failed: .*the event will be retried/);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'taskArn')")],
    ['a RangeError', new RangeError('Invalid time value')],
    ['a plain Error without SDK metadata', new Error('something broke')],
    ['an error of our own', new ServiceNotFoundError('service "shop-api" not found')],
    ['an error of our own wrapping a transient cause', new EcsMigrateError('outer', { cause: networkError('ECONNRESET') })],
    ['a thrown string', 'boom'],
  ])('returns %s untouched: a bug fails loudly instead of being retried as transient', (_, error) => {
    // Act
    const failure = awsFailure(error, OPERATION, FIX);

    // Assess
    expect(failure).toBe(error);
    expect(failure).not.toBeInstanceOf(TransientAwsError);
  });

  it('turns AccessDenied into AccessDeniedError carrying the operation and what to grant', () => {
    // Prepare
    const denied = new AccessDeniedException({
      $metadata: { httpStatusCode: 400 },
      message: 'User is not authorized to perform: ecs:UpdateService',
    });

    // Act
    const failure = awsFailure(denied, OPERATION, FIX, 'the deployer role ecs:UpdateService on service "shop-api"');

    // Assess
    expect(failure).toBeInstanceOf(AccessDeniedError);
    expect(failure).toBeInstanceOf(PermanentAwsError);
    expect(failure).toMatchObject({
      operation: OPERATION,
      grant: 'the deployer role ecs:UpdateService on service "shop-api"',
      cause: denied,
    });
    expect((failure as Error).message).toBe(
      'ecs:UpdateService failed: AccessDeniedException: User is not authorized to perform: ecs:UpdateService; grant the deployer role ecs:UpdateService on service "shop-api"',
    );
  });

  it("names the function's role and the operation when the caller gives no grant", () => {
    // Act
    const failure = awsFailure(serviceError('AccessDenied', 403), 'dynamodb:GetItem', FIX);

    // Assess
    expect(failure).toMatchObject({ operation: 'dynamodb:GetItem', grant: "the function's role dynamodb:GetItem" });
  });

  it('turns any other service error into PermanentAwsError carrying the operation and the fix', () => {
    // Prepare
    const invalid = new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'service not active' });

    // Act
    const failure = awsFailure(invalid, OPERATION, FIX);

    // Assess
    expect(failure).toBeInstanceOf(PermanentAwsError);
    expect(failure).not.toBeInstanceOf(TransientAwsError);
    expect(failure).toMatchObject({ operation: OPERATION, fix: FIX, cause: invalid });
    expect((failure as Error).message).toBe('ecs:UpdateService failed: InvalidParameterException: service not active; check SERVICE');
    // Any other ClientException stays permanent.
    const client = new ECSServiceException({
      name: 'ClientException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'bad image',
    });
    expect(awsFailure(client, OPERATION, FIX)).toBeInstanceOf(PermanentAwsError);
  });
});
