import type { FileHandle } from 'node:fs/promises'
import { collectUploadGarbage, UPLOAD_GC_BYTES } from './upload-gc'

const CHUNK = 64 * 1024

/**
 * An upload written to disk, as the `File` a function gets. Its bytes stay on disk (a Blob from
 * `fs.openAsBlob`) until read; `stream()` reads the file in 64 KB pieces and, as the upload did,
 * lets V8 free the pieces already passed on every few megabytes (upload-gc.ts), so that a
 * function streaming a large upload to disk or elsewhere does not raise the process's memory.
 */
function defineSpooledFile() {
  return class SpooledFile extends File {
    readonly #path: string

    constructor(blob: Blob, name: string, type: string, path: string) {
      super([blob], name, { type })
      this.#path = path
    }

    override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
      const path = this.#path
      let handle: FileHandle | undefined
      let sinceGc = 0
      return new ReadableStream<Uint8Array<ArrayBuffer>>({
        async pull(controller) {
          handle ??= await process.getBuiltinModule('node:fs/promises').open(path, 'r')
          const buffer = new Uint8Array(CHUNK)
          let bytesRead: number
          try {
            ({ bytesRead } = await handle.read(buffer, 0, CHUNK, null))
          }
          catch (error) {
            // The stream errors; its descriptor is not left open until the process ends.
            await handle.close()
            throw error
          }
          if (bytesRead === 0) {
            await handle.close()
            controller.close()
            return
          }
          controller.enqueue(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead))
          sinceGc += bytesRead
          if (sinceGc > UPLOAD_GC_BYTES) {
            sinceGc = 0
            collectUploadGarbage()
          }
        },
        async cancel() {
          await handle?.close()
        },
      })
    }
  }
}

let SpooledFile: ReturnType<typeof defineSpooledFile> | undefined

/**
 * The class is made on the first upload: a class that extends `File` reads the global, which
 * makes Node load its File module, and a service that never receives one should not start slower.
 */
export function spooledFile(blob: Blob, name: string, type: string, path: string): File {
  SpooledFile ??= defineSpooledFile()
  return new SpooledFile(blob, name, type, path)
}
