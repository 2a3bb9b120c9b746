#!/usr/bin/env node
/** The `rx-rrm` executable. */
import { runCli } from './cli.js';

// Exit explicitly: live sources and worker pools must not keep a finished run alive.
process.exit(await runCli(process.argv.slice(2)));
