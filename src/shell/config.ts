import { type AwsConfig, type Config, parseAwsConfig, parseConfig } from '../core/config.js';
import { ConfigError } from '../errors.js';

export type EnvSource = Record<string, string | undefined>;

/** The process environment. This module is the only reader of `process.env` outside the CLI's own helpers. */
export function processEnv(): EnvSource {
  return process.env;
}

/** The controller's configuration plus the AWS resource settings, validated together so one error names every key. */
export function lambdaConfigFromEnv(env: EnvSource = processEnv()): { config: Config; aws: AwsConfig } {
  const core = parseConfig(env);
  const aws = parseAwsConfig(env);
  const problems = [...(core.ok ? [] : core.problems), ...(aws.ok ? [] : aws.problems)];
  if (!core.ok || !aws.ok) throw new ConfigError(problems);
  return { config: core.config, aws: aws.config };
}
