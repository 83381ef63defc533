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
  await writeFilesAtomically([path], ([handle]) => write(handle));
}

/**
 * Writes several files that belong together (a model and its external data): each is filled under a
 * temporary name, all are fsynced, and only then renamed, in the order given (so list the file that
 * refers to the others last). On a failure before the renames every temporary file is removed and
 * the old files are left as they were.
 */
export async function writeFilesAtomically(paths: readonly string[], write: (handles: FileHandle[]) => Promise<void>): Promise<void> {
  const temps = paths.map(temporaryPath);
  const handles: FileHandle[] = [];
  try {
    for (const temp of temps) handles.push(await open(temp, "w"));
    await write(handles);
    for (const handle of handles) await handle.sync();
    while (handles.length > 0) await handles.shift()!.close();
    for (let i = 0; i < paths.length; i++) await rename(temps[i], paths[i]);
  } catch (error) {
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    await Promise.all(temps.map((temp) => rm(temp, { force: true }).catch(() => undefined)));
    throw error;
  }
  for (const directory of new Set(paths.map((path) => dirname(path)))) await syncDirectory(directory);
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
