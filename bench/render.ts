/**
 * Rewrites BENCHMARKS.md from bench/results.json without measuring again (after a change to bench/lib/report.ts).
 * Run: npx tsx bench/render.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Results, renderMarkdown } from './lib/report.js';

const results = JSON.parse(await readFile(join(import.meta.dirname, 'results.json'), 'utf8')) as Results;
await writeFile(join(import.meta.dirname, '..', 'BENCHMARKS.md'), renderMarkdown(results));
