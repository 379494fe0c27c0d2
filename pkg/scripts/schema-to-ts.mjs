// Prints TypeScript declarations of the policy document, generated from its JSON Schema (which
// schemars derives from govgate-core's serde types), so `Policy.fromJson` is typed by the same
// Rust types that read the document. Run by `cargo xtask dist pkg`:
//
//   node schema-to-ts.mjs <wasm-bindgen nodejs glue> <its .d.ts>
//
// Types the .d.ts already declares (tsify's `Outcome`, `Mode`, ...) are not declared again; a
// schema definition whose name is taken must then be the same union of string literals, or this
// fails.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const [gluePath, dtsPath] = process.argv.slice(2);
if (!gluePath || !dtsPath) {
  console.error("usage: node schema-to-ts.mjs <nodejs glue> <d.ts>");
  process.exit(2);
}
const schema = createRequire(import.meta.url)(gluePath).jsonSchema();
const dts = readFileSync(dtsPath, "utf8");
const declared = new Set([...dts.matchAll(/^export (?:type|interface|class|enum) (\w+)/gm)].map((m) => m[1]));

// The tree of values the schema calls `Value` is JsonValue, which the .d.ts declares.
const renames = { Value: "JsonValue" };

function comment(text, indent) {
  if (!text) return "";
  const lines = text.replaceAll("*/", "*\\/").split("\n");
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")}\n${indent} */\n`;
}

function refName(ref) {
  const name = ref.replace(/^#\/\$defs\//, "");
  return renames[name] ?? name;
}

function union(parts) {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? unique[0] : unique.map((p) => (p.includes("=>") ? `(${p})` : p)).join(" | ");
}

/** The TypeScript type of a schema, `indent` being the indentation of the line it starts on. */
function tsType(s, indent) {
  if (s === true || s === undefined || (typeof s === "object" && Object.keys(s).length === 0)) return "JsonValue";
  if (s === false) return "never";
  if (s.$ref) return refName(s.$ref);
  if ("const" in s) return JSON.stringify(s.const);
  if (s.enum) return union(s.enum.map((v) => JSON.stringify(v)));
  if (s.oneOf || s.anyOf) return union((s.oneOf ?? s.anyOf).map((x) => tsType(x, indent)));
  if (s.allOf) return s.allOf.map((x) => tsType(x, indent)).join(" & ");
  if (Array.isArray(s.type)) return union(s.type.map((t) => tsType({ ...s, type: t }, indent)));
  switch (s.type) {
    case "null":
      return "null";
    case "boolean":
      return "boolean";
    case "integer":
    case "number":
      return "number";
    case "string":
      return "string";
    case "array": {
      const item = tsType(s.items, indent);
      return /[ |&]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    case "object":
      return objectType(s, indent);
    default:
      if (s.properties) return objectType(s, indent);
      return "JsonValue";
  }
}

function objectType(s, indent) {
  const props = Object.entries(s.properties ?? {});
  const extra = s.additionalProperties;
  if (props.length === 0) {
    if (extra === false) return "Record<string, never>";
    return `Record<string, ${tsType(extra === undefined ? true : extra, indent)}>`;
  }
  const required = new Set(s.required ?? []);
  const inner = `${indent}    `;
  let out = "{\n";
  for (const [name, prop] of props) {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
    out += comment(prop.description, inner);
    out += `${inner}${key}${required.has(name) ? "" : "?"}: ${tsType(prop, inner)};\n`;
  }
  if (extra && extra !== true) out += `${inner}[key: string]: ${tsType(extra, inner)};\n`;
  return `${out}${indent}}`;
}

function declaration(name, s) {
  const doc = comment(s.description, "");
  const isInterface = (s.type === "object" || (!s.type && s.properties)) && s.properties && !s.oneOf && !s.anyOf;
  if (isInterface) return `${doc}export interface ${name} ${objectType(s, "")}\n`;
  return `${doc}export type ${name} = ${tsType(s, "")};\n`;
}

const defs = schema.$defs ?? {};
let out = "// The policy document: generated from its JSON Schema (govgate-core's serde types).\n\n";
const { $defs: _defs, $schema: _schema, title, ...root } = schema;
out += declaration(title ?? "PolicyDocument", root) + "\n";
for (const [name, def] of Object.entries(defs)) {
  if (renames[name]) continue;
  if (declared.has(name)) {
    // tsify declared it from the wire types; the two must agree.
    const ours = tsType({ ...def, description: undefined }, "");
    const theirs = dts.match(new RegExp(`^export type ${name} = (.*);$`, "m"))?.[1];
    if (theirs !== undefined && theirs.replace(/\s/g, "") !== ours.replace(/\s/g, "")) {
      console.error(`schema-to-ts: \`${name}\` is ${ours} in the schema but ${theirs} in the wire types`);
      process.exit(1);
    }
    continue;
  }
  out += declaration(name, def) + "\n";
}
process.stdout.write(out);
