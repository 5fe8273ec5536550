/**
 * Mutations of real bodies for fast-check: bit flips, byte writes, 32-bit length writes
 * (0, huge, off by a little), inserts, deletes, slices copied elsewhere (a delimiter or an item
 * tag where it does not belong) and truncation, aimed anywhere or near the structure; and the
 * chunkings the bytes are pushed in.
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'copy'; from: number; length: number; at: number }
  | { kind: 'truncate'; at: number };

export interface MutatedInput {
  /** Index into the corpus. */
  sample: number;
  mutations: Mutation[];
  /** Cut points (offsets into the mutated bytes) where a new pushed chunk starts. */
  cuts: number[];
  /** Push the first 512 bytes one at a time. */
  byteByByte: boolean;
}

/** An offset anywhere in `length` bytes, or within 8 bytes of a structural offset. */
function offset(length: number, hot: readonly number[]): fc.Arbitrary<number> {
  const anywhere = fc.nat({ max: Math.max(0, length - 1) });
  if (hot.length === 0) return anywhere;
  const near = fc
    .tuple(fc.constantFrom(...hot), fc.integer({ min: -8, max: 8 }))
    .map(([at, d]) => Math.min(length - 1, Math.max(0, at + d)));
  return fc.oneof({ weight: 1, arbitrary: anywhere }, { weight: 3, arbitrary: near });
}

function mutation(length: number, hot: readonly number[]): fc.Arbitrary<Mutation> {
  const at = offset(length, hot);
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      kind: fc.constant('set' as const),
      at,
      value: fc.constantFrom(0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x20, 0xfe, 0xe0),
    }),
    fc.record({
      kind: fc.constant('u32' as const),
      at,
      value: fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0xfffffffe), fc.nat({ max: length * 2 })),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      kind: fc.constant('copy' as const),
      from: offset(length, hot),
      length: fc.integer({ min: 1, max: 96 }),
      at,
    }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
  );
}

/** Inputs over a corpus: which sample, up to 4 mutations (0: the real body as is), a chunking. */
export function mutatedInput(
  samples: readonly { bytes: Uint8Array; hot: readonly number[] }[],
): fc.Arbitrary<MutatedInput> {
  return fc.integer({ min: 0, max: samples.length - 1 }).chain((sample) => {
    const { bytes, hot } = samples[sample]!;
    return fc.record({
      sample: fc.constant(sample),
      mutations: fc.array(mutation(bytes.length, hot), { maxLength: 4 }),
      cuts: fc.array(offset(bytes.length, hot), { maxLength: 24 }),
      byteByByte: fc.boolean(),
    });
  });
}

/**
 * Applies the mutations in order to a copy. Returns the bytes and the first offset whose byte
 * may differ from the original (bytes before it are the original's; Infinity when untouched).
 */
export function applyMutations(
  original: Uint8Array,
  mutations: readonly Mutation[],
): { bytes: Uint8Array; firstChange: number } {
  let bytes = original.slice();
  let firstChange = Infinity;
  for (const m of mutations) {
    const at = Math.min(m.at, bytes.length);
    switch (m.kind) {
      case 'flip':
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (at < bytes.length) bytes[at] = m.value;
        break;
      case 'u32':
        for (let i = 0; i < 4 && at + i < bytes.length; i++) bytes[at + i] = (m.value >>> (8 * i)) & 0xff;
        break;
      case 'insert': {
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(m.bytes, at);
        out.set(bytes.subarray(at), at + m.bytes.length);
        bytes = out;
        break;
      }
      case 'delete': {
        const out = new Uint8Array(Math.max(at, bytes.length - m.length));
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(Math.min(bytes.length, at + m.length)), at);
        bytes = out;
        break;
      }
      case 'copy': {
        const slice = bytes.slice(Math.min(m.from, bytes.length), Math.min(m.from + m.length, bytes.length));
        const out = new Uint8Array(bytes.length + slice.length);
        out.set(bytes.subarray(0, at));
        out.set(slice, at);
        out.set(bytes.subarray(at), at + slice.length);
        bytes = out;
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
    firstChange = Math.min(firstChange, at);
  }
  // A byte written with its own value, or a truncation at the end, changes nothing before `firstChange` anyway.
  return { bytes, firstChange };
}

/** The mutated bytes as pushed: separate buffers (copies), so a view must name its own chunk. */
export function chunksOf(
  bytes: Uint8Array,
  cuts: readonly number[],
  byteByByte: boolean,
): { chunks: Uint8Array[]; starts: number[] } {
  const points = new Set<number>();
  for (const cut of cuts) if (cut > 0 && cut < bytes.length) points.add(cut);
  if (byteByByte) for (let i = 1; i < Math.min(512, bytes.length); i++) points.add(i);
  const sorted = [...points].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  const starts: number[] = [];
  let start = 0;
  for (const end of [...sorted, bytes.length]) {
    if (end <= start) continue;
    chunks.push(bytes.slice(start, end));
    starts.push(start);
    start = end;
  }
  return { chunks, starts };
}

/** Is `view` a view into `container` (same buffer, inside its range)? */
export function isViewInto(view: Uint8Array, container: Uint8Array): boolean {
  return (
    view.buffer === container.buffer &&
    view.byteOffset >= container.byteOffset &&
    view.byteOffset + view.byteLength <= container.byteOffset + container.byteLength
  );
}

/** Byte equality in native code. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}
