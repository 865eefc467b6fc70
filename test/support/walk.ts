// Every file below a folder, for tests that check what a data dir holds.
import { readdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

/** Every file below `dir` (relative, '/'-separated); none when it does not exist. */
export async function walk(dir: string): Promise<string[]> {
  const found: string[] = []
  const visit = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'ENOENT') return []
      throw error
    })
    for (const entry of entries) {
      const full = join(current, entry.name)
      if (entry.isDirectory()) await visit(full)
      else found.push(relative(dir, full).split(sep).join('/'))
    }
  }
  await visit(dir)
  return found
}
