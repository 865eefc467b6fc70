// The exit codes: the one contract a script has with the command. runCli decides them; help.ts tells them.
export const EXIT = { ok: 0, failed: 1, usage: 2, reportedProblem: 3, unreachable: 4 } as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]
