// Error codes and event kinds shared by the ABI and the layers below it (a leaf module:
// tcp/ and sockets.ts import it without importing abi.ts). abi.ts re-exports both.
// The numbers are declared once in abi/abi.mjs and generated into abi-consts.ts.

export { Err, EventKind } from "./abi-consts";
