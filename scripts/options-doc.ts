/** Write docs/options.md from the run-option schema (src/config/schema.ts). `npm run docs:options`. */
import { writeFileSync } from "node:fs";
import { optionsDocument } from "../src/config/fields.js";

writeFileSync(new URL("../docs/options.md", import.meta.url), optionsDocument());
console.log("wrote docs/options.md");
