/**
 * Child of the cold-init benchmark: imports one bundle in this fresh process and prints how long the import
 * took (module evaluation, which builds the SDK clients and handler at module scope). The parent times the
 * whole process. Usage: node bench/lib/import-once.mjs <bundle.mjs>
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
const before = performance.now();
const module = await import(pathToFileURL(resolve(file)).href);
const importMs = performance.now() - before;
if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler function`);
process.stdout.write(`${JSON.stringify({ importMs })}\n`);
