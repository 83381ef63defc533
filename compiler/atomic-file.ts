import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The temporary name a file is written under before it is renamed onto `path`. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${process.pid}`);
}

/**
 * Writes `path` atomically: `write` fills a temporary file beside it, which is fsynced and renamed
 * onto `path`. On any failure the temporary file is removed and `path` is left as it was.
 */
export async function writeFileAtomically(path: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  const temp = temporaryPath(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "w");
    await write(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename durable. Some platforms cannot fsync a directory; that is not an error. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
