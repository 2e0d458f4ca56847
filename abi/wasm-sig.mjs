// Reads the signatures of a wasm module's imported and exported functions straight from
// the binary (type, import, function and export sections), so tests can compare them with
// abi/abi.mjs. WebAssembly.Module.exports/imports give names and kinds only.

const VALTYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

/**
 * @param {Uint8Array} bytes a wasm binary
 * @returns {{ imports: {module: string, name: string, kind: string, params?: string[], results?: string[]}[],
 *             exports: {name: string, kind: string, params?: string[], results?: string[]}[] }}
 */
export function wasmSignatures(bytes) {
  let p = 8;
  const u8 = () => bytes[p++];
  const leb = () => {
    let r = 0, shift = 0, b;
    do { b = bytes[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return r >>> 0;
  };
  const name = () => {
    const n = leb();
    const s = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const vt = () => VALTYPES[u8()] ?? "?";
  const limits = () => { const f = u8(); leb(); if (f & 1) leb(); };

  const types = [];
  const imports = [];
  const funcTypes = []; // type index of every function, imported ones first
  const exports = [];
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error("not a wasm module");
  while (p < bytes.length) {
    const id = u8();
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        if (u8() !== 0x60) throw new Error("unexpected type form");
        const params = []; for (let k = leb(); k > 0; k--) params.push(vt());
        const results = []; for (let k = leb(); k > 0; k--) results.push(vt());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        const module = name(), field = name(), kind = u8();
        if (kind === 0) {
          const t = leb();
          funcTypes.push(t);
          imports.push({ module, name: field, kind: "function", ...types[t] });
        } else if (kind === 1) { u8(); limits(); imports.push({ module, name: field, kind: "table" }); }
        else if (kind === 2) { limits(); imports.push({ module, name: field, kind: "memory" }); }
        else if (kind === 3) { vt(); u8(); imports.push({ module, name: field, kind: "global" }); }
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcTypes.push(leb());
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const field = name(), kind = u8(), index = leb();
        if (kind === 0) exports.push({ name: field, kind: "function", ...types[funcTypes[index]] });
        else exports.push({ name: field, kind: ["function", "table", "memory", "global"][kind] ?? `kind${kind}` });
      }
    }
    p = end;
  }
  return { imports, exports };
}
