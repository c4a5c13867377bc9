/** Data as the send/recv commands print it. */
import type { Readable } from "node:stream";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `{ size, truncated?, text }` when the bytes are UTF-8, else `{ size, truncated?, hex }`. */
export function dataJson(data: Buffer, size = data.length): Record<string, unknown> {
  const out: Record<string, unknown> = { size };
  if (size > data.length) out.truncated = true;
  try {
    out.text = utf8.decode(data);
  } catch {
    out.hex = data.toString("hex");
  }
  return out;
}

/** Reads a stream to its end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(parts);
}
