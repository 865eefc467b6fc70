// The CLI's one door to a data dir on this host, as main.ts is serve's: `backup` and `backup --verify`.
// Loaded only when those run, so the client commands never load SQLite.
export { BackupFailed } from './storage/backup/backup-failed.js'
export { checkBackup, type BackupCheck, type BackupFinding } from './storage/backup/check-backup.js'
export type { BackupManifest } from './storage/backup/manifest.js'
export { takeBackup, type BackupOptions } from './storage/backup/take-backup.js'
