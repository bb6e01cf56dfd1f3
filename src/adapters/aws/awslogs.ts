import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { LogLocation } from '../../core/deployment.js';

/**
 * Where ECS's `awslogs` driver writes a container's output: group `awslogs-group`, stream
 * `<awslogs-stream-prefix>/<container>/<task id>`. Returns why there is no such place otherwise.
 */
export function awslogsLocation(container: ContainerDefinition | undefined, name: string, taskArn: string): LogLocation | { none: string } {
  if (container === undefined) return { none: `the task definition has no container "${name}"` };
  const driver = container.logConfiguration?.logDriver;
  if (driver !== 'awslogs') {
    return {
      none: `container "${name}" logs with ${driver ?? 'no log driver'}, not awslogs; set its logConfiguration to awslogs to see its output here`,
    };
  }
  const options = container.logConfiguration?.options;
  const group = options?.['awslogs-group'];
  const prefix = options?.['awslogs-stream-prefix'];
  if (group === undefined || prefix === undefined) {
    return { none: `container "${name}" has no awslogs-group or awslogs-stream-prefix, so its stream name is unknown` };
  }
  const region = options?.['awslogs-region'];
  return { group, stream: `${prefix}/${name}/${taskArn.split('/').pop() ?? taskArn}`, ...(region !== undefined ? { region } : {}) };
}
