// Our schemas are JSON Schema 2020-12, where a keyword beside "$ref" counts: {"$ref":
// "#/$defs/name", "description": "The state a new order starts in."}. codemirror-json-schema reads
// schemas with json-schema-library's draft-04/07 rules, where "$ref" hides whatever stands beside it,
// so hover would show the description of "name" instead. Before the editor gets a schema, each such
// node takes the keywords of the definition it refers to, its own winning: one step, a definition that
// is itself only a reference is left as it is.

// A schema explains its keys in English (`description`, `title`) and in Chinese beside them
// (`x-description-zh`, `x-title-zh`, the keywords our forms use too): a Chinese page's editor shows the
// Chinese, in completion and hover alike.
const CHINESE = { description: "x-description-zh", title: "x-title-zh" };

/** `schema` with its texts in `lang` ("zh" or "en"): for zh, each description and title its Chinese. */
export function inLanguage(schema, lang) {
  if (lang !== "zh") return schema;
  const visit = (node) => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) out[key] = visit(value);
    for (const [keyword, chinese] of Object.entries(CHINESE)) {
      if (typeof out[keyword] === "string" && typeof out[chinese] === "string") out[keyword] = out[chinese];
    }
    return out;
  };
  return visit(schema);
}

export function withReferencesBesideKeywordsInlined(schema) {
  const visit = (node) => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) out[key] = visit(value);
    if (typeof out.$ref === "string" && Object.keys(out).length > 1) {
      const target = local(schema, out.$ref);
      if (target !== null && typeof target === "object" && !Array.isArray(target) && !("$ref" in target)) {
        const { $ref, ...beside } = out;
        return { ...target, ...beside };
      }
    }
    return out;
  };
  return visit(schema);
}

/** What the local reference "#/a/b" names in `schema`, or null (another document, a missing path). */
function local(schema, reference) {
  if (!reference.startsWith("#/")) return null;
  let node = schema;
  for (const part of reference.slice(2).split("/")) {
    const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return null;
    node = node[key];
  }
  return node;
}
