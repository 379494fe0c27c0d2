// Arguments read in one call from wasm where wasm-bindgen's generic glue takes several.
//
// The common shapes of `evaluate`'s options are recognised here instead of listing and reading
// the object's keys from Rust; src/js.rs `read_options` owns their meaning, this only answers
// "which case is it".

/** The last `now` string src/js.rs parsed (it keeps the parsed time). */
let lastNow;

/** The `now` of options that held nothing else, when it was not the remembered one. */
let pendingNow;

/**
 * 0: no options (`undefined` or `null`); 1: `{ now }` alone, the same string as the last one
 * remembered; 3: `{ now }` alone, another value, which `options_now` gives (`now` is read once:
 * it may be a getter); 2: anything else (src/js.rs reads it in full).
 */
export function options_case(options) {
  if (options === undefined || options === null) return 0;
  if (typeof options !== "object" || Array.isArray(options)) return 2;
  let count = 0;
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(options, key)) continue;
    if (key !== "now" || ++count > 1) return 2;
  }
  if (count === 0) return 2;
  const now = options.now;
  if (lastNow !== undefined && now === lastNow) return 1;
  pendingNow = now;
  return 3;
}

/** The `now` `options_case` read when it answered 3 (once). */
export function options_now() {
  const now = pendingNow;
  pendingNow = undefined;
  return now;
}

/**
 * The time of a `Date` in milliseconds (NaN when invalid), or `undefined` when `value` is none:
 * `instanceof Date` also holds for objects that merely inherit from `Date.prototype`, and for
 * a Proxy of a Date, on which `getTime` throws.
 */
export function date_time(value) {
  try {
    return value instanceof Date ? Date.prototype.getTime.call(value) : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the `now` string src/js.rs has just parsed (and keeps the time of). */
export function options_remember_now(now) {
  lastNow = now;
}

/**
 * `JSON.stringify(value)`, or an `Error` of this module's telling what it threw (circular
 * structures, BigInts, a throwing `toJSON`): src/js.rs tells the two apart by type, without
 * wasm-bindgen's exception wrapper. Nothing escapes: whatever this threw would pass through the
 * wasm without its cleanup (a `Policy` left borrowed for good).
 */
export function json_text(value) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    return thrown(e);
  }
}

/** A plain `Error` with the name and message of `e`, read once, whatever `e` is. */
function thrown(e) {
  try {
    if (e instanceof Error) {
      const error = new Error(String(e.message));
      error.name = String(e.name);
      return error;
    }
    return new Error(String(e));
  } catch {
    return new Error("JSON.stringify threw a value that cannot be shown");
  }
}
