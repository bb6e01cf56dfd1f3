/**
 * Local mode's EventBridge: events are handled one at a time, in the order they were published, each by
 * the same runner the Lambda functions use. Errors are reported, never thrown into the publisher.
 */
export class LocalEventLoop<R> {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (event: Record<string, unknown>) => Promise<R>,
    private readonly onResult: (event: Record<string, unknown>, result: R) => void,
    private readonly onError: (event: Record<string, unknown>, error: unknown) => void,
  ) {}

  publish(event: Record<string, unknown>): void {
    this.pending++;
    this.chain = this.chain
      .then(() => this.handle(event))
      .then(
        (result) => this.onResult(event, result),
        (error: unknown) => this.onError(event, error),
      )
      .finally(() => {
        this.pending--;
        if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  /** Resolves once every published event has been handled. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
