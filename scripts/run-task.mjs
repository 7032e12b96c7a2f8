#!/usr/bin/env node
// org-task <task> <command> [args...]
// Runs <command> with NODE_OPTIONS taken from the <task> line of the repository's .node-options, so that
// every Node-based task, and every Node process it starts, gets its own heap limit from one place.
// A child that dies of a signal (the kernel's OOM killer sends SIGKILL, V8's heap-limit abort is SIGABRT)
// exits this wrapper non-zero with a clear message: turbo then reports the task as failed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

export function parseNodeOptions(text) {
  const tasks = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`.node-options: expected "task = flags", got "${line}"`);
    tasks.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return tasks;
}

export function nodeOptionsFor(
  task,
  file = process.env.ORG_NODE_OPTIONS_FILE ?? new URL('../.node-options', import.meta.url),
) {
  const tasks = parseNodeOptions(readFileSync(file, 'utf8'));
  const flags = tasks.get(task);
  if (flags === undefined) {
    throw new Error(`.node-options has no line for task "${task}" (known: ${[...tasks.keys()].join(', ')})`);
  }
  return flags;
}

function main(argv) {
  const [task, command, ...args] = argv;
  if (!task || !command) {
    process.stderr.write('usage: org-task <task> <command> [args...]\n');
    return process.exit(2);
  }
  let flags;
  try {
    flags = nodeOptionsFor(task);
  } catch (err) {
    process.stderr.write(`org-task: ${err.message}\n`);
    return process.exit(2);
  }
  // Ours last: for a repeated V8 flag the last one wins, so the task's limit holds over an inherited one.
  const inherited = (process.env.NODE_OPTIONS ?? '').trim();
  const env = { ...process.env, NODE_OPTIONS: inherited ? `${inherited} ${flags}` : flags };
  const child = spawn(command, args, { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    process.stderr.write(`org-task: cannot start "${command}": ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    if (signal) {
      const hint =
        signal === 'SIGKILL' || signal === 'SIGABRT'
          ? ` (out of memory? the "${task}" task runs with NODE_OPTIONS="${flags}")`
          : '';
      process.stderr.write(`org-task: ${task}: "${command}" was killed by ${signal}${hint}\n`);
      process.exit(128 + (constants.signals[signal] ?? 1));
    }
    if (code === 134) {
      process.stderr.write(
        `org-task: ${task}: "${command}" aborted (exit 134): likely V8's heap limit (${flags})\n`,
      );
    }
    process.exit(code ?? 1);
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/org-task')) {
  main(process.argv.slice(2));
}
