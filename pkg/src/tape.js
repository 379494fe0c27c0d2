// Reads a tape written by src/tape.rs into JavaScript objects and arrays: what JSON.parse of
// the same value's JSON text would give, without writing and parsing the text. The opcodes are
// src/tape.rs's `op` module.

const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
// Taken once, so that replacing them later cannot change the objects or call back into the
// module halfway through a tape (a setter on Object.prototype still can: see `read`).
const defineProperty = Object.defineProperty;
const objectKeys = Object.keys;

/** Field, variant and map-key names by id, as src/tape.rs's key table numbers them. */
const names = [];
/**
 * String values by slot, as src/tape.rs's recent values hold them (`RECENT_SLOTS`). Every
 * slot is an own element from the start, so storing one never reaches a setter a caller put
 * on Array.prototype.
 */
const recent = new Array(256).fill(undefined);
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
    recent.fill(undefined);
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
    case 12: {
      const value = recent[codes[at++]];
      if (value === undefined) throw new Error("govgate: a result tape refers to a value it never sent");
      return value;
    }
    case 13: {
      const slot = codes[at++];
      const value = slice(codes[at++]);
      recent[slot] = value;
      return value;
    }
    case 10:
      return knownName();
    case 11:
      return newName();
    case 5: {
      const n = codes[at++];
      const array = [];
      for (let i = 0; i < n; i++) {
        const value = read();
        if (i in array) define(array, i, value);
        else array[i] = value;
      }
      return array;
    }
    case 6: {
      const n = codes[at++];
      const object = {};
      for (let i = 0; i < n; i++) {
        const key = readKey();
        const value = read();
        // Assigned, except `__proto__` (assigning it would set the prototype). JSON.parse
        // defines every member; assigning differs only where Object.prototype has an accessor
        // or a read-only property of that name, which takes code running in the host (the
        // classic pollution, a writable data property, is shadowed here as by JSON.parse).
        // A setter that decides again from inside this read cannot trap the module: src/js.rs
        // answers such a nested call through JSON. Checking every member cost ~6% of a decision.
        if (key === "__proto__") define(object, key, value);
        else object[key] = value;
      }
      return object;
    }
    default:
      throw new Error("govgate: a result tape holds an unknown value code");
  }
}

/**
 * A member defined as JSON.parse defines it, where assigning it would not: `__proto__` (its
 * setter sets the prototype), a member the object has already, and any name an object or array
 * inherits (a setter on Object.prototype would be called instead, and could re-enter the
 * module; a read-only one would throw).
 */
function define(target, key, value) {
  defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
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
  const name = objectKeys({ [slice(codes[at++])]: 0 })[0];
  define(names, id, name);
  return name;
}
