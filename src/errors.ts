/** Typed failures of the shell. Each message says what happened and what to do; `cause` keeps the original error. */

export class EcsMigrateError extends Error {
  override name = 'EcsMigrateError';
}

/** Configuration is missing or malformed: the process cannot start. */
export class ConfigError extends EcsMigrateError {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(
      `invalid configuration:\n  ${problems.join('\n  ')}\nSet these environment variables (or keys of the --config file) and start again.`,
    );
  }
}

/** A conditional write lost a race; the runner reloads the state and decides again. */
export class CommitConflictError extends EcsMigrateError {
  override name = 'CommitConflictError';
}

/** The configured ECS service (or its cluster, or its task definition) does not exist or is INACTIVE. */
export class ServiceNotFoundError extends EcsMigrateError {
  override name = 'ServiceNotFoundError';
}

/** Some events were not accepted by the bus. Thrown so the invocation is retried. */
export class EventPublishError extends EcsMigrateError {
  override name = 'EventPublishError';
}

/** An AWS call failed in a way that may succeed later (throttling, 5xx): thrown so Lambda and EventBridge retry. */
export class TransientAwsError extends EcsMigrateError {
  override name = 'TransientAwsError';
}

/** The runner kept losing races for the same input. */
export class TooManyConflictsError extends EcsMigrateError {
  override name = 'TooManyConflictsError';
}

/** A stored record does not validate: it names the record's key and the field, and is never cast. */
export class InvalidRecordError extends EcsMigrateError {
  override name = 'InvalidRecordError';
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(
      `stored record ${key} does not validate (${problem}): fix the field named (deleting an environment record drops its lock: stop any migration task of it first); nothing was changed`,
    );
  }
}

/**
 * An AWS call failed in a way retrying will not fix (the service answered with a client error). Carries the
 * operation (`ecs:UpdateService`) and the fix; `cause` keeps the SDK error.
 */
export class PermanentAwsError extends EcsMigrateError {
  override name = 'PermanentAwsError';
  constructor(
    readonly operation: string,
    readonly fix: string,
    /** What the service said: `InvalidParameterException: …`. */
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} failed: ${detail}; ${fix}`, options);
  }
}

/** The role may not make this call: `grant` says which role needs which permission on what. */
export class AccessDeniedError extends PermanentAwsError {
  override name = 'AccessDeniedError';
  constructor(
    operation: string,
    readonly grant: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(operation, `grant ${grant}`, detail, options);
  }
}

/** The service's task definition has no container named CONTAINER. */
export class ContainerNotFoundError extends EcsMigrateError {
  override name = 'ContainerNotFoundError';
}

/**
 * What `Ecs.describeService` throws when the service cannot be used as configured (missing, unreadable, no
 * such container): the request is refused with the message instead of being retried.
 */
export function isServiceProblem(error: unknown): error is EcsMigrateError {
  return error instanceof ServiceNotFoundError || error instanceof ContainerNotFoundError || error instanceof PermanentAwsError;
}

/** The registry has no image with this tag (or no such repository): a request naming it is rejected, not retried. */
export class ImageNotFoundError extends EcsMigrateError {
  override name = 'ImageNotFoundError';
}

/**
 * Names the deployment whose decision an error interrupted, so the lines that report it (a conflicting write, a
 * failed invocation) carry its id as every line about a deployment does. The first name given is kept.
 */
export function aboutDeployment(error: unknown, deploymentId: string | undefined): unknown {
  if (error instanceof Error && deploymentId !== undefined && deploymentOf(error) === undefined) {
    Object.defineProperty(error, 'deploymentId', { value: deploymentId, enumerable: false, configurable: true });
  }
  return error;
}

/** The deployment `aboutDeployment` named on an error, if any. */
export function deploymentOf(error: unknown): string | undefined {
  const id = error instanceof Error ? (error as Error & { deploymentId?: unknown }).deploymentId : undefined;
  return typeof id === 'string' ? id : undefined;
}
