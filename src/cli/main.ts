#!/usr/bin/env node
/**
 * The `planflow` executable: runs the CLI on the process's arguments and exits with its code.
 * Everything else lives in `runCli`, which tests call in-process.
 */
import { wantsColour } from './io.js';
import { runCli } from './runCli.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
  colour: wantsColour(process.stdout, process.env),
});
process.exitCode = code;
