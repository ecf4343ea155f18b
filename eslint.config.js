// ESLint (flat config): typescript-eslint's type-aware recommended rules over src/, test/, bench/ and web/src/.
// Formatting is Prettier's job (.prettierrc.json), so no stylistic rules here.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', '.tap/', 'sounds/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // tsconfig.test.json covers src/, test/ and bench/ (Node); tsconfig.web.json the browser code.
        project: ['./tsconfig.test.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // tap's t.test() returns a PromiseWithSubtest that tap itself awaits in order; its promise assertions
          // (t.rejects, t.resolves, t.resolveMatch…) are waited on by the test they belong to: not floating.
          allowForKnownSafePromises: [{ from: 'package', package: '@tapjs/core', name: 'PromiseWithSubtest' }],
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: '@tapjs/asserts',
              name: ['rejects', 'resolves', 'resolveMatch', 'resolveMatchOnly', 'emits'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Turned off, as noise here:
      // - require-await: tap callbacks and Fastify handlers are `async` by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
      // - unbound-method: the CLI command modules and web pages destructure kits of plain functions that are
      //   declared with method syntax; none of them uses `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Numbers and booleans in template strings are what they look like; `never` is the "cannot happen" message.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowBoolean: true,
          allowNullish: true,
          allowNever: true,
          // Node's URLSearchParams prints as a query string.
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: 'URLSearchParams' },
            { from: 'package', package: '@types/node', name: 'URLSearchParams' },
          ],
        },
      ],
      // String(v) of an `unknown` checked not to be null or an object (TypeScript narrows it to `{}`) is how JSON
      // values are printed here; the rule still checks every declared object type.
      '@typescript-eslint/no-base-to-string': [
        'error',
        { ignoredTypeNames: ['{}', 'Error', 'RegExp', 'URL', 'URLSearchParams'] },
      ],
      // `{ dropped, ...rest }` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read JSON bodies (`any` from fetch/inject) and assert on them field by field: the assertions are the type
    // check, so the no-unsafe-* family (which only tracks `any` flowing on) is off there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (bin/koplus.js, this file): no type information.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: false },
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
)
