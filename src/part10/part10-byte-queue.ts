/**
 * The unread bytes of a stream as a queue of chunk views. Reads never copy, except a small
 * header that straddles two chunks (copied into a scratch buffer by `peek`).
 */

const EMPTY = new Uint8Array(0);

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #available = 0;
  readonly #scratch = new Uint8Array(16);
  /** After a successful `peek(n)`: the n bytes are `peekBytes[peekAt .. peekAt + n)`. */
  peekBytes: Uint8Array = EMPTY;
  peekAt = 0;

  get available(): number {
    return this.#available;
  }

  /** Queues a view of `chunk` (not a copy): the caller must not change it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#available += chunk.byteLength;
  }

  /** Makes the next n (<= 16) bytes readable through `peekBytes`/`peekAt` without consuming them. */
  peek(n: number): boolean {
    if (this.#available < n) return false;
    const head = this.#chunks[this.#first]!;
    if (head.byteLength - this.#offset >= n) {
      this.peekBytes = head;
      this.peekAt = this.#offset;
      return true;
    }
    let filled = 0;
    let index = this.#first;
    let offset = this.#offset;
    while (filled < n) {
      const chunk = this.#chunks[index]!;
      const count = Math.min(n - filled, chunk.byteLength - offset);
      this.#scratch.set(chunk.subarray(offset, offset + count), filled);
      filled += count;
      index += 1;
      offset = 0;
    }
    this.peekBytes = this.#scratch;
    this.peekAt = 0;
    return true;
  }

  /** A copy of the first n (<= `available`) bytes, not consumed. */
  copyFront(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let index = this.#first;
    let offset = this.#offset;
    while (filled < n) {
      const chunk = this.#chunks[index]!;
      const count = Math.min(n - filled, chunk.byteLength - offset);
      out.set(chunk.subarray(offset, offset + count), filled);
      filled += count;
      index += 1;
      offset = 0;
    }
    return out;
  }

  /** Drops n bytes; n must not exceed `available`. */
  skip(n: number): void {
    this.#available -= n;
    let left = n;
    while (left > 0) {
      const head = this.#chunks[this.#first]!;
      const inHead = head.byteLength - this.#offset;
      if (left < inHead) {
        this.#offset += left;
        return;
      }
      left -= inHead;
      this.#dropHead();
    }
  }

  /** Removes and returns a view of up to n bytes from the head chunk; `available` must be > 0. */
  take(n: number): Uint8Array {
    const head = this.#chunks[this.#first]!;
    const inHead = head.byteLength - this.#offset;
    const count = Math.min(n, inHead);
    const view = head.subarray(this.#offset, this.#offset + count);
    this.#available -= count;
    if (count === inHead) this.#dropHead();
    else this.#offset += count;
    return view;
  }

  /** Removes and returns every queued byte as views. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.#available > 0) out.push(this.take(this.#available));
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#offset = 0;
    this.#available = 0;
  }

  #dropHead(): void {
    this.#chunks[this.#first] = EMPTY;
    this.#first += 1;
    this.#offset = 0;
    if (this.#first >= 32 && this.#first * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}

/** One Uint8Array holding the pieces' bytes: the piece itself when there is one (no copy). */
export function joinPieces(pieces: readonly Uint8Array[], byteLength: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(byteLength);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}
