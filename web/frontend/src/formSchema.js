// What completes and explains a form file (a JSON Schema 2020-12 document) when the page names no
// schema for it: the draft-07 meta-schema that json-schema-library ships, with the keywords that
// draft 2020-12 renamed or replaced given their 2020-12 names. It serves completion and hover only:
// the server's validation is what says a form is right.

import draft07 from "json-schema-library/remotes/draft07.json";

const RENAMED = {
  definitions: "$defs",
  additionalItems: "prefixItems",
};

export function formMetaSchema() {
  const properties = {};
  for (const [name, schema] of Object.entries(draft07.properties)) {
    if (name === "dependencies") continue; // split in 2020-12, below
    properties[RENAMED[name] ?? name] = name === "additionalItems" ? draft07.definitions.schemaArray : schema;
  }
  properties.$schema = { type: "string", default: "https://json-schema.org/draft/2020-12/schema" };
  properties.dependentRequired = { type: "object", additionalProperties: draft07.definitions.stringArray };
  properties.dependentSchemas = { type: "object", additionalProperties: { $ref: "#" } };
  const { $id, $schema, ...rest } = draft07; // "#" in its references is this schema, not draft-07's
  return { ...rest, properties };
}
