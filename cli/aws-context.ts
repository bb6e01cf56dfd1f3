import { CliError, EXIT } from './failure.js';

/** `--profile` and `--region`, spelled as the AWS CLI spells them; AWS_PROFILE / AWS_REGION are the fallbacks. */
export const AWS_OPTIONS = {
  profile: { type: 'string' },
  region: { type: 'string' },
} as const;

/** The configuration every AWS client of this run is created with. */
export interface ClientConfig {
  region?: string;
  profile?: string;
}

/** What a client must offer for its region to be checked: every SDK v3 client does. */
interface RegionOf {
  config: { region: () => Promise<string> };
}

/**
 * The client configuration of this run: --region / --profile when given; otherwise the SDK's own chain
 * (AWS_REGION, AWS_PROFILE, the profile's region in ~/.aws/config) decides.
 */
export function clientConfig(values: { profile?: string | undefined; region?: string | undefined }): ClientConfig {
  return {
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
  };
}

/**
 * The region a client will use. Checked before the first call, so a missing region is a usage error that
 * names the fix instead of the SDK's "Region is missing" from inside a request.
 */
export async function regionOf(client: RegionOf): Promise<string> {
  try {
    const region = await client.config.region();
    if (region !== undefined && region !== '') return region;
  } catch {
    // the SDK's "Region is missing": reported below
  }
  throw new CliError('no AWS region: pass --region REGION, or set AWS_REGION (or a region in the --profile)', EXIT.usage);
}
