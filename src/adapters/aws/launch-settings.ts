import type { CapacityProviderStrategyItem, NetworkConfiguration } from '@aws-sdk/client-ecs';
import type { LaunchSettings } from '../../core/deployment.js';

/** The fields a described service and a service revision share for where their tasks run. */
interface RunsTasks {
  networkConfiguration?: NetworkConfiguration;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: string;
  platformVersion?: string;
}

/**
 * Where a service (or a revision of it) runs its tasks, as RunTask takes it: the awsvpc network, the capacity
 * provider strategy or else the launch type, and the platform version. Only the fields ECS gave are set.
 */
export function launchSettingsOf(found: RunsTasks): LaunchSettings {
  const settings: LaunchSettings = {};
  const vpc = found.networkConfiguration?.awsvpcConfiguration;
  if (vpc?.subnets !== undefined) {
    settings.network = {
      subnets: vpc.subnets,
      securityGroups: vpc.securityGroups ?? [],
      assignPublicIp: vpc.assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    };
  }
  const strategy = found.capacityProviderStrategy ?? [];
  if (strategy.length > 0) {
    settings.capacityProviderStrategy = strategy.map((s) => ({
      capacityProvider: s.capacityProvider ?? '',
      ...(s.weight !== undefined ? { weight: s.weight } : {}),
      ...(s.base !== undefined ? { base: s.base } : {}),
    }));
  } else if (found.launchType !== undefined) {
    settings.launchType = found.launchType;
  }
  if (found.platformVersion !== undefined) settings.platformVersion = found.platformVersion;
  return settings;
}
