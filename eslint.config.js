// Lint configuration: typescript-eslint's recommended rules and two project rules — only src/exec/
// may run commands, so node:child_process is forbidden everywhere else; and every exported name of
// src/ has a doc comment that starts with the name (eslint/doc-comments.js).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import podnet from "./eslint/doc-comments.js";

const noChildProcess = {
  "no-restricted-imports": [
    "error",
    {
      paths: [
        { name: "node:child_process", message: "Only src/exec/ runs commands: use the Executor." },
        { name: "child_process", message: "Only src/exec/ runs commands: use the Executor." },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      ...noChildProcess,
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  { files: ["src/exec/**"], rules: { "no-restricted-imports": "off" } },
  {
    files: ["src/**/*.ts", "web/**/*.{ts,tsx}"],
    ignores: ["**/*.test.ts"],
    plugins: { podnet },
    rules: { "podnet/doc-comments": "error" },
  },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } } },
);
