// docs/performance.md: the report of a --write-docs run above the hand-written sections, which it keeps.
import { readFile, writeFile } from 'node:fs/promises'

/** The hand-written "Design choices" section survives every --write-docs run. */
async function keptDesignChoices(path) {
  const current = await readFile(path, 'utf8').catch(() => '')
  const at = current.indexOf('## Design choices')
  return at === -1 ? '## Design choices\n\n<!-- to be filled in -->\n' : current.slice(at)
}

export async function writeDocs(path, { report, command }) {
  const design = await keptDesignChoices(path)
  const text = `# Performance

What \`npm run bench\` measured on its last run with \`--write-docs\`. Figures on a shared or virtual
machine are noisy; compare ratios from the same run rather than absolute numbers across machines.

${report}

## How to run

\`\`\`sh
npm run bench                      # build, then the full run (a few minutes; 1,000,000-commit log)
npm run bench -- --quick           # smoke run: short phases, small files, a 20,000-commit log
npm run bench -- --write-docs      # also rewrite this file with the table of the run
npm run bench -- --only monitoring # only status, metrics and readiness at 1,000,000 and 10,000,000 commits
\`\`\`

Options: \`--duration <s>\` per load phase (default 10), \`--log-size <n>\` commits in the generated log
(default 1,000,000), \`--big-put-mib <n>\` (default 256), \`--only writes,reads,log,monitoring\`,
\`--monitoring-sizes <n,n>\` (default 1000000,10000000), \`--monitoring-writers <n>\` (default 1), \`--no-nginx\`, \`--no-postgres\`,
\`--nginx <path>\`, \`--nginx-workers <n>\` (default 1), \`--keep\` (leave the temp dir for a look).
This file was written by: \`${command}\`.

The run starts the built service (\`dist/main.js\`) on a fresh temp \`DATA_DIR\` on 127.0.0.1 and
drives it with [autocannon](https://github.com/mcollina/autocannon). In the same run, on the same
disk, it measures the references:

- **fsync cycle**: open temp, write, fsync, rename, fsync dir with Node's own \`fs\` calls, in a
  separate Node process at concurrency 1 and 32: the physical limit for one durable small file.
- **the contract's floor**: the least any implementation of this service's durability contract must
  do for a one-artifact commit, in plain Node with better-sqlite3 and nothing else (no HTTP, no
  validation, no bookkeeping): a \`pending\` row made durable (WAL, \`synchronous=FULL\`), the object
  and the plain file each through the fsync cycle and read back with SHA-256, side by side, then a
  \`committed\` row made durable. At concurrency 1, in a separate process.
- **nginx WebDAV PUT** (temp file + rename, no fsync) with a generated config, pid file and root in
  the temp dir, one worker process; skipped (n/a) when nginx with the dav module is not installed.
- **PostgreSQL durable INSERT** (issue 15's reference for small commits): Debian's PostgreSQL (15 when
  installed; \`apt-get install -y postgresql\` when missing, only as root with apt; else the rows are n/a)
  initialised in the temp dir and run as \`nobody\` when the bench is root, with \`fsync=on\`,
  \`synchronous_commit=on\`, on 127.0.0.1 at a free port, stopped by its pid. \`pgbench -n -f insert.sql -c C -j C -T <duration>\`
  over TCP at c=1 and c=64, each transaction one INSERT of the same 1 KiB body and its SHA-256 into
  \`artifacts(id bigserial primary key, session, name, sha256, body bytea)\` with an index on \`(session, name)\`.
- **dd conv=fsync** (issue 15's reference for the big PUT): \`dd if=/dev/zero of=… bs=1M count=<big-put-mib> conv=fsync\`
  in the temp dir after each of our PUTs (interleaved: the shared disk's rate swings several-fold), rate = bytes ÷ dd's
  own seconds, best of the runs as for the PUT.
- **GET /v1/commits pages**: the same rows read in-process with better-sqlite3.
- **start-up**: the same service on an empty \`DATA_DIR\`.
- **monitoring**: \`GET /v1/status\`, \`/metrics\` and \`/health/ready\` at c=1 on generated logs of each
  \`--monitoring-sizes\` (a fresh log per size, removed after it; ten million commits take about 12 GB
  and a few minutes to build), then, on the largest, 1 KiB commits for \`--duration\` seconds without
  and with a \`/metrics\` scrape every 100 ms from the bench process.

How each figure is taken: latencies are recorded per response (autocannon's \`response\` event,
fractional milliseconds) and p50/p99 are exact over all responses of the phase; rates are 2xx
responses ÷ wall time. Commits carry base64 JSON; nginx gets the same bytes raw. The 1 MiB GETs use
a keep-alive \`node:http\` client instead of autocannon, which appends every response body to a
string and tops out near 80 MB/s, below both servers (autocannon may also cap nginx's 1 KiB rates).
The streamed PUT sends generated 1 MiB chunks over \`node:http\` with back-pressure; the server's
peak RSS is its kernel high-water mark (\`VmHWM\`, reset through \`/proc/<pid>/clear_refs\` before
each PUT) and 20 ms samples of \`VmRSS\`. The WAL size is sampled every 100 ms during the write
phases. Start-up is spawn → first 200 from \`/health/ready\`.

The large log is not pushed through HTTP: the service creates its schema on an empty
\`DATA_DIR\`, then \`bench/big-log.mjs\` bulk-inserts sessions, commits, transitions,
artifact versions, latest versions and objects (all committed, nothing to recover) into that
\`ledger.db\`, 100,000 commits per SQL statement, with the secondary indexes and the counters'
triggers dropped during the load; it then rebuilds them from the schema's own SQL and counts the
counters again as the counters migration does. Everything lives under one temp dir that is removed at the end; the service and
nginx are stopped by pid.

${design}`
  await writeFile(path, text)
}
