// `artifact-ledger backup <dir>`: works on a data dir on this host, not through the service's HTTP API.
import { Option } from 'commander'
import { DEFAULT_DATA_DIR, DEFAULT_GC_GRACE_SECONDS } from '../config.js'
import { LedgerError } from '../domain/errors.js'
import { SERVICE_VERSION } from '../version.js'
import { wholeNumber } from './arguments.js'
import type { CliContext } from './context.js'
import { CommandFailed, fileProblem, isFileSystemError } from './failures.js'
import { BACKUP_HELP } from './help.js'
import { bytes, printJson, type Output } from './output.js'

/** A week: a longer grace is a typo rather than a plan. */
const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60

interface BackupFlags {
  dataDir: string
  allowMissing: boolean
  gcGraceSeconds: number
  verify: boolean
  json: boolean
  logUrl?: string
}

export function registerBackup(ctx: CliContext): void {
  ctx.program.command('backup')
    .description('copy a data dir on this host, consistently, while its service runs; --verify checks a backup')
    .argument('<dir>', 'a new or empty directory for the backup (with --verify: the backup to check)')
    .addOption(new Option('--data-dir <path>', 'the data dir to back up').env('DATA_DIR').default(DEFAULT_DATA_DIR))
    .option('--allow-missing', 'finish even when objects the snapshot refers to are missing or corrupt (listed in the manifest)', false)
    .addOption(new Option('--gc-grace-seconds <n>', "the service's GC grace: the longest the backup may take from its snapshot to its last object")
      .env('GC_GRACE_SECONDS').argParser(wholeNumber('--gc-grace-seconds', 1, MAX_GRACE_SECONDS)).default(DEFAULT_GC_GRACE_SECONDS))
    .addOption(new Option('--log-url <url>', 'the service\'s LOG_URL: a backup copies ledger.db, so a log on PostgreSQL is refused').env('LOG_URL').hideHelp())
    .option('--verify', 're-hash the database and every object in <dir> against its manifest; copies nothing', false)
    .option('--json', 'machine-readable JSON on stdout', false)
    .addHelpText('after', BACKUP_HELP)
    .action(async (dir: string, flags: BackupFlags) => {
      const out: Output = { json: flags.json, stdout: ctx.io.stdout, stderr: ctx.io.stderr }
      if (flags.logUrl !== undefined && !flags.verify) {
        throw new CommandFailed('backup copies a data dir whose log is ledger.db; with LOG_URL the log is in PostgreSQL: ' +
          'back it up with PostgreSQL\'s own tools (pg_basebackup, or pg_dump) and objects/ after it')
      }
      const backup = await import('../backup.js')
      try {
        if (flags.verify) await verifyBackup(ctx, out, dir, backup)
        else await takeBackup(out, dir, flags, backup)
      } catch (error) {
        throw inWords(error, backup.BackupFailed)
      }
    })
}

type BackupModule = typeof import('../backup.js')

async function takeBackup(out: Output, dir: string, flags: BackupFlags, backup: BackupModule): Promise<void> {
  const started = Date.now()
  const manifest = await backup.takeBackup({
    dataDir: flags.dataDir,
    target: dir,
    allowMissing: flags.allowMissing,
    gcGraceSeconds: flags.gcGraceSeconds,
    serviceVersion: SERVICE_VERSION,
    progress: (line) => out.stderr.write(`artifact-ledger: backup: ${line}\n`),
  })
  if (out.json) {
    printJson(out, { ...manifest, objects: manifest.objects.length })
    return
  }
  const objectBytes = manifest.objects.reduce((sum, o) => sum + o.size, 0)
  out.stdout.write(`backup of ${manifest.source.dataDir} in ${dir}: up to seq ${manifest.database.maxSeq}, ` +
    `${manifest.objects.length} objects (${bytes(objectBytes)}; ${manifest.objectsLinked} hard-linked, ${manifest.objectsCopied} copied, ${manifest.objectsInline ?? 0} inside ledger.db), ` +
    `${manifest.plainFiles} plain files, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  if (manifest.leftOut.length > 0) out.stdout.write(`left out (--allow-missing): ${manifest.leftOut.map((l) => `${l.sha256} ${l.problem}`).join(', ')}\n`)
  if (manifest.objectsLinked > 0) {
    out.stderr.write('artifact-ledger: backup: hard-linked objects share the data disk: copy the backup off this host to survive losing it\n')
  }
}

async function verifyBackup(ctx: CliContext, out: Output, dir: string, backup: BackupModule): Promise<void> {
  const check = await backup.checkBackup(dir)
  if (out.json) printJson(out, { ok: check.findings.length === 0, checked: check.checked, findings: check.findings })
  else {
    for (const finding of check.findings) out.stdout.write(`${finding.problem}  ${finding.path}\n`)
    out.stdout.write(`${check.findings.length === 0 ? 'ok' : `${check.findings.length} finding(s)`}: ledger.db and ${check.checked.objects} objects ` +
      `(${bytes(check.checked.bytes)}) checked against the manifest of ${check.manifest.takenAt}\n`)
  }
  if (check.findings.length > 0) ctx.reportProblem()
}

/** What the operator can act on, in one message: the backup's own reasons, storage faults, local file errors. */
function inWords(error: unknown, BackupFailed: BackupModule['BackupFailed']): unknown {
  if (error instanceof BackupFailed) return new CommandFailed(`backup failed: ${error.message}`)
  if (error instanceof LedgerError) return new CommandFailed(`backup failed: ${error.message} (${JSON.stringify(error.facts)})`)
  if (isFileSystemError(error)) return new CommandFailed(`backup failed: ${error.path ?? ''}: ${fileProblem(error)}`)
  // better-sqlite3's errors: the data dir's ledger.db is not a database, or could not be read.
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new CommandFailed(`backup failed: ledger.db: ${(error as Error).message} (${code})`)
  return error
}
