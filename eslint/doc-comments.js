// A project ESLint rule: every exported declaration has a doc comment (/** … */) whose first word
// is the name it documents — `/** parseRoute turns one listed route into a Route … */` — so a reader
// scanning a file meets each name with its one-line meaning. Re-exports (`export { x } from`) and
// test files are exempt; the rule reads only comments, never code.

/** exportedNames lists the names an export declaration declares. */
function exportedNames(decl) {
  if (!decl) return [];
  if (decl.type === "VariableDeclaration") return decl.declarations.flatMap((d) => (d.id.type === "Identifier" ? [d.id.name] : []));
  return decl.id?.name ? [decl.id.name] : [];
}

/** docOf returns the /** comment right before a node, if any. */
function docOf(source, node) {
  const before = source.getCommentsBefore(node);
  const last = before[before.length - 1];
  if (!last || last.type !== "Block" || !last.value.startsWith("*")) return undefined;
  return last;
}

const rule = {
  meta: {
    type: "suggestion",
    docs: { description: "exported names have a doc comment that starts with the name" },
    schema: [],
    messages: {
      missing: "exported {{name}} has no doc comment (/** {{name}} … */)",
      wrongStart: 'the doc comment of {{name}} starts with "{{first}}": start it with the name it documents',
    },
  },
  create(context) {
    const source = context.sourceCode;
    const check = (node, decl) => {
      for (const name of exportedNames(decl)) {
        const doc = docOf(source, node);
        if (!doc) {
          context.report({ node, messageId: "missing", data: { name } });
          continue;
        }
        const first =
          doc.value
            .replace(/^\*+/, "")
            .replace(/^\s*\*?\s*/gm, " ")
            .trim()
            .split(/[\s,.:;(]/)[0] ?? "";
        if (first !== name && first !== `${name}'s`) context.report({ node: doc, messageId: "wrongStart", data: { name, first } });
      }
    };
    return {
      ExportNamedDeclaration(node) {
        if (node.declaration) check(node, node.declaration);
      },
      ExportDefaultDeclaration(node) {
        if (node.declaration?.id) check(node, node.declaration);
      },
    };
  },
};

export default { rules: { "doc-comments": rule } };
