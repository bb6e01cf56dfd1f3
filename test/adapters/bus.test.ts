import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../src/adapters/aws/bus.js';
import { boundDetail, LIMITS } from '../../src/core/bounds.js';
import { AccessDeniedError, EventPublishError, TransientAwsError } from '../../src/errors.js';

describe('EventBridgeBus', () => {
  const client = new EventBridgeClient({ region: 'eu-west-1' });
  const events = mockClient(client);
  const bus = new EventBridgeBus(client, { bus: 'shop-events', source: 'ecs-migrate' });

  beforeEach(() => events.reset());

  it('puts each event with the source, bus, detail-type and JSON detail', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    // Act
    await bus.put([{ detailType: 'Rollout Continued', detail: { environment: 'staging', deploymentId: 'd1' } }]);

    // Assess
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'shop-events',
          Source: 'ecs-migrate',
          DetailType: 'Rollout Continued',
          Detail: '{"environment":"staging","deploymentId":"d1"}',
        },
      ],
    });
  });

  it('keeps each request under 256 KB: two events the core lets through go in two calls, in order', async () => {
    // EventBridge limits the request, not only each entry ("The total entry size must be less than 256KB"; a larger
    // one is a ValidationException, on every retry). The core bounds one event's detail to 200 KB: two such events in
    // one commit were sent in one request AWS refuses, so the outbox was never published.
    // Size as EventBridge counts it: Source + DetailType + Detail (+ Resources, + 14 for a Time: none are sent).
    const size = (e: PutEventsRequestEntry) =>
      Buffer.byteLength(e.Source ?? '') + Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? '');
    const detail = (n: number) => boundDetail({ environment: 'staging', deploymentId: `d${n}`, reason: 'x'.repeat(140 * 1024) });
    expect(JSON.stringify(detail(1)).length).toBeLessThan(LIMITS.eventDetailBytes);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });

    await bus.put([
      { detailType: 'Migration Failed', detail: detail(1) },
      { detailType: 'Rollout Halted', detail: detail(2) },
      { detailType: 'Environment Unlocked', detail: { environment: 'staging', deploymentId: 'd3' } },
    ]);

    const requests = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    for (const entries of requests) expect(entries.reduce((n, e) => n + size(e), 0)).toBeLessThan(256 * 1024);
    expect(requests.map((entries) => entries.map((e) => e.DetailType))).toEqual([
      ['Migration Failed'],
      ['Rollout Halted', 'Environment Unlocked'],
    ]);
  });

  it('sends at most 10 entries per call', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const many = Array.from({ length: 23 }, (_, i) => ({ detailType: 'Migration Superseded', detail: { n: i } }));

    // Act
    await bus.put(many);

    // Assess
    const sizes = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('throws EventPublishError naming the entries EventBridge did not accept, even on HTTP 200', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'ok-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    // Act
    const result = bus.put([
      { detailType: 'Migration Failed', detail: {} },
      { detailType: 'Rollout Halted', detail: {} },
    ]);

    // Assess
    await expect(result).rejects.toThrow(EventPublishError);
    await expect(result).rejects.toThrow(
      /did not accept 1 of 2 events on bus "shop-events": "Rollout Halted" \(InternalFailure: try again\)/,
    );
  });

  it('throws AccessDeniedError naming the operation and the permission when access is denied', async () => {
    // Prepare
    events.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'not authorized',
      }),
    );

    // Act
    const result = bus.put([{ detailType: 'Migration Started', detail: {} }]);

    // Assess
    await expect(result).rejects.toThrow(AccessDeniedError);
    await expect(result).rejects.toMatchObject({ operation: 'events:PutEvents' });
    await expect(result).rejects.toThrow(/grant the function's role events:PutEvents on bus "shop-events"/);
  });

  it('throws TransientAwsError when EventBridge is unavailable, so the event is retried', async () => {
    // Prepare
    events.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'InternalException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'oops',
      }),
    );

    // Act
    const result = bus.put([{ detailType: 'Migration Started', detail: {} }]);

    // Assess
    await expect(result).rejects.toThrow(TransientAwsError);
  });

  it('re-throws an error that is not an AWS error untouched (a bug)', async () => {
    // Prepare
    const bug = new TypeError('Converting circular structure to JSON');
    events.on(PutEventsCommand).rejects(bug);

    // Act
    const thrown = await bus.put([{ detailType: 'Migration Started', detail: {} }]).catch((e: unknown) => e);

    // Assess
    expect(thrown).toBe(bug);
  });
});
