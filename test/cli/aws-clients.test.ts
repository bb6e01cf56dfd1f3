import { describe, expect, it } from 'vitest';
import { awsClients } from '../../cli/aws-clients.js';

describe("the CLI's AWS clients", () => {
  it("read a task log in the region its task definition sends it to (awslogs-region), else in the run's", async () => {
    const clients = awsClients({ region: 'eu-west-1' });
    const own = await clients.logs();
    const other = await clients.logs('us-east-1');
    expect(await own.config.region()).toBe('eu-west-1');
    expect(await other.config.region()).toBe('us-east-1');
    expect(await clients.logs('us-east-1')).toBe(other);
    expect(await clients.logs()).toBe(own);
    clients.destroy();
  });
});
