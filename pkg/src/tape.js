// Reads a tape written by src/tape.rs into JavaScript objects and arrays: what JSON.parse of
// the same value's JSON text would give, without writing and parsing the text. The opcodes are
// src/tape.rs's `op` module.

const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

/** Field, variant and map-key names by id, as src/tape.rs's key table numbers them. */
const names = [];
let memory = null;
let buffer = null;
let codes = null;
let text = "";
let at = 0;
let textAt = 0;

/** Gives the tape reader the module's memory (once, before the first tape). */
export function tape_memory(wasmMemory) {
  memory = wasmMemory;
  buffer = null;
}

/**
 * The value on the tape: `count` numbers at byte `codesPtr` of the memory, strings from the
 * `textLen` UTF-8 bytes at `textPtr`.
 */
export function tape_read(codesPtr, count, textPtr, textLen) {
  if (memory.buffer !== buffer) {
    buffer = memory.buffer;
    codes = new Float64Array(buffer);
  }
  text = textLen === 0 ? "" : decoder.decode(new Uint8Array(buffer, textPtr, textLen));
  at = codesPtr / 8;
  textAt = 0;
  const end = at + count;
  try {
    const value = read();
    if (at !== end || textAt !== text.length) throw new Error("govgate: a result tape was misread");
    return value;
  } catch (e) {
    // The wasm side forgets its key table too when this throws: both start over.
    names.length = 0;
    throw e;
  } finally {
    text = "";
  }
}

function slice(length) {
  const s = text.slice(textAt, textAt + length);
  textAt += length;
  return s;
}

function read() {
  switch (codes[at++]) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return codes[at++];
    case 4:
      return slice(codes[at++]);
    case 10:
      return knownName();
    case 11:
      return newName();
    case 5: {
      const n = codes[at++];
      const array = [];
      for (let i = 0; i < n; i++) array.push(read());
      return array;
    }
    case 6: {
      const n = codes[at++];
      const object = {};
      for (let i = 0; i < n; i++) {
        const key = readKey();
        const value = read();
        if (key === "__proto__") {
          // JSON.parse makes `__proto__` an own member; assigning it would set the prototype.
          Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
        } else {
          object[key] = value;
        }
      }
      return object;
    }
    default:
      throw new Error("govgate: a result tape holds an unknown value code");
  }
}

function readKey() {
  switch (codes[at++]) {
    case 7:
      return knownName();
    case 8:
      return newName();
    case 9:
      return slice(codes[at++]);
    default:
      throw new Error("govgate: a result tape holds an unknown key code");
  }
}

/** A field or variant name sent before, by id. */
function knownName() {
  const name = names[codes[at++]];
  if (name === undefined) throw new Error("govgate: a result tape refers to a name it never sent");
  return name;
}

/** A field or variant name sent for the first time: remembered under its id. */
function newName() {
  const id = codes[at++];
  // The name as V8 stores property names (internalized): a sliced string would have to be
  // looked up in V8's string table on every object it names.
  const name = Object.keys({ [slice(codes[at++])]: 0 })[0];
  names[id] = name;
  return name;
}
