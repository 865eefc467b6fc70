/** A whole number from the environment, or `fallback`; out of range is an error, not a silent default. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name}=${raw}: expected a whole number in ${min}..${max}`)
  return value
}
