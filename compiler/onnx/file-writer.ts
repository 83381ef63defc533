import type { FileHandle } from "node:fs/promises";

/** Small pieces (tensor prefixes, constants, norm weights) are gathered into writes of this size. */
const CHUNK_BYTES = 1 << 20;

/**
 * Appends bytes to a file without waiting for each write: every write goes to its own position
 * (pwrite), so the next tensor is drawn while the last one is still being written. Writes in
 * flight hold at most `maxInFlightBytes` (or one buffer larger than that); callers must not change
 * a buffer after handing it over. Small writes are gathered into 1 MiB chunks.
 */
export class FileWriter {
  private chunk = new Uint8Array(CHUNK_BYTES);
  private used = 0;
  private position = 0;
  private readonly inFlight: { readonly done: Promise<void>; readonly bytes: number }[] = [];
  private inFlightBytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly maxInFlightBytes: number,
  ) {}

  /** Bytes handed over so far. */
  get length(): number {
    return this.position + this.used;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length > CHUNK_BYTES / 4) {
      await this.flushChunk();
      await this.issue(bytes);
      return;
    }
    if (this.used + bytes.length > CHUNK_BYTES) await this.flushChunk();
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Writes what is buffered and waits for every write; the first failure is thrown. */
  async finish(): Promise<void> {
    await this.flushChunk();
    while (this.inFlight.length > 0) await this.retireOldest();
  }

  /** Waits for writes in flight, ignoring their failures (before closing the file on an error path). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.map((w) => w.done));
  }

  private async flushChunk(): Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = new Uint8Array(CHUNK_BYTES);
    this.used = 0;
    await this.issue(full);
  }

  private async issue(bytes: Uint8Array): Promise<void> {
    while (this.inFlight.length > 0 && this.inFlightBytes + bytes.length > this.maxInFlightBytes) await this.retireOldest();
    const done = writeAt(this.handle, bytes, this.position);
    done.catch(() => undefined); // observed by retireOldest or abandon
    this.position += bytes.length;
    this.inFlight.push({ done, bytes: bytes.length });
    this.inFlightBytes += bytes.length;
  }

  private async retireOldest(): Promise<void> {
    const oldest = this.inFlight[0];
    try {
      await oldest.done;
    } finally {
      this.inFlight.shift();
      this.inFlightBytes -= oldest.bytes;
    }
  }
}

async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
}
