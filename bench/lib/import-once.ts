/**
 * Child of the cold-init benchmark: imports one bundle in this fresh process and prints how long the import
 * took, as wall time and as this process's CPU time (module evaluation: the handlers validate their
 * configuration and build their clients at module scope). The parent times the whole process.
 *
 * Plain Node runs it, as Lambda runs a bundle: bench/run.ts compiles it to JavaScript first (no TypeScript
 * loader in the measured process). Usage: node <compiled import-once.mjs> <bundle.mjs>
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: import-once <bundle.mjs>');
const cpuBefore = process.cpuUsage();
const before = performance.now();
const module = (await import(pathToFileURL(resolve(file)).href)) as { handler?: unknown };
const importMs = performance.now() - before;
const cpu = process.cpuUsage(cpuBefore);
if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler function`);
process.stdout.write(`${JSON.stringify({ importMs, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
