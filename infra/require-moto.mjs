// Fails fast, with the fix, when moto_server (the AWS emulator the integration tests run against) is missing.
// `npm run test:aws` runs this first; test/support/moto-global-setup.ts uses the same lookup and message.
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MOTO_COMMAND = 'moto_server';

export const MOTO_INSTALL_HINT =
  "moto_server is not on PATH. The AWS integration and template tests need it (moto 5.x, Python >= 3.9): pip install 'moto[server]' " +
  '(the template tests also need: pip install cfn-lint aws-sam-translator)';

/**
 * The absolute path of an executable `command` on PATH, or undefined.
 * @param {string} [command]
 * @param {string} [path] the PATH to search (default: process.env.PATH)
 * @returns {string | undefined}
 */
export function findOnPath(command = MOTO_COMMAND, path = process.env.PATH ?? '') {
  const extensions = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    for (const ext of extensions) {
      const candidate = join(dir, command + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (findOnPath() === undefined) {
    console.error(MOTO_INSTALL_HINT);
    process.exit(1);
  }
}
