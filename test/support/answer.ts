// A fetch response read once, its body parsed as JSON when it is JSON and kept as text when not.
export interface ReadAnswer {
  status: number
  contentType: string
  body: Record<string, unknown>
}

export async function readAnswer(res: Response): Promise<ReadAnswer> {
  const text = await res.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    // Not JSON (a reset, a proxy page): keep the start of it for the failure message.
    body = { unparsed: text.slice(0, 500) }
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body }
}
