// Compiles the explorers' Vega-Lite specs to Vega specs with vega-lite's own compiler, at book build
// time (cityconv.chapters.teaching_book runs it), so a page loads only the Vega runtime.
// Usage: node compile.mjs <vega-lite/build/index.js>  < {"name": vega-lite spec, ...}
// Prints {"specs": {"name": vega spec, ...}, "warnings": ["name: message", ...]}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const vegaLite = await import(pathToFileURL(process.argv[2]).href);
const sources = JSON.parse(readFileSync(0, "utf-8"));
const specs = {};
const warnings = [];
for (const [name, source] of Object.entries(sources)) {
  const logger = {
    level() { return this; },
    warn(...message) { warnings.push(`${name}: ${message.join(" ")}`); return this; },
    info() { return this; },
    debug() { return this; },
    error(...message) { warnings.push(`${name}: ${message.join(" ")}`); return this; },
  };
  specs[name] = vegaLite.compile(source, { logger }).spec;
}
process.stdout.write(JSON.stringify({ specs, warnings }));
