// The WASM codecs' Emscripten factories (CommonJS, no types of their own). The decoders share
// one shape: fill getEncodedBuffer(n), decode(), read getFrameInfo() and getDecodedBuffer().
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: import('./wasm-codec.js').EmscriptenFactory;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: import('./wasm-codec.js').EmscriptenFactory;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: import('./wasm-codec.js').EmscriptenFactory;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: import('./wasm-codec.js').EmscriptenFactory;
  export default factory;
}
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasm?url' {
  const url: string;
  export default url;
}
declare module '@cornerstonejs/codec-openjph/wasm?url' {
  const url: string;
  export default url;
}
declare module '@cornerstonejs/codec-charls/decodewasm?url' {
  const url: string;
  export default url;
}
declare module '@cornerstonejs/codec-charls/wasm?url' {
  const url: string;
  export default url;
}
