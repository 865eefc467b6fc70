#!/usr/bin/env node
// The installed `artifact-ledger` command.
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv.slice(2))
