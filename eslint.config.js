// ESLint flat config: typescript-eslint's recommended rules over src, cli, test,
// examples and bench; generated and vendored output is ignored.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "build/**",
      "build-asan/**",
      "node_modules/**",
      "bench/node_modules/**",
      "bench/.build/**",
      "bench/results/**",
      "docs/api/**",
      "test/.docs-blocks-*/**",
      ".ci/node24/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        FinalizationRegistry: "readonly",
        URL: "readonly",
        performance: "readonly",
        queueMicrotask: "readonly",
        structuredClone: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  // The layer rule (docs/architecture.md): native/ → src/raw/ → src/ → cli/,
  // each importing only downwards. src/raw/ is the one door to the addon.
  {
    files: ["src/**/*.ts"],
    ignores: ["src/raw/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/raw/native", "**/raw/native.js", "**/raw/locate-addon", "**/raw/locate-addon.js"],
              message: "only src/raw/ reaches the addon: call (or add) a wrapper in src/raw/",
            },
            { group: ["**/cli/**"], message: "src/ never imports the CLI: layers point down" },
          ],
        },
      ],
    },
  },
  {
    files: ["src/raw/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../*", "!../errors.js", "!../endian.js"],
              message: "src/raw/ stands on the addon, errors.ts and endian.ts only: layers point down",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/src/**", "!**/src/index.js"],
              message: "the CLI uses the package's public API (src/index.ts) only",
            },
          ],
        },
      ],
    },
  },
);
