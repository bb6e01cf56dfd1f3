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

/** The configured ECS service does not exist or cannot be read. */
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

/** The registry has no image with this tag (or no such repository): a request naming it is rejected, not retried. */
export class ImageNotFoundError extends EcsMigrateError {
  override name = 'ImageNotFoundError';
}
