// Type-aware lint for everything TypeScript in the repository; formatting is Prettier's
// job (eslint-config-prettier turns the stylistic rules off). Zero findings in CI.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '**/dist/**',
      '.azurite/**',
      '.cache/**',
      'test-output/**',
      'test/local/fixtures/**',
      'packages/*/test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring a field away, ignored parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Ports are Promise-returning interfaces; an implementation that answers at once (in
      // memory, from a constant) is still async by contract.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and benchmarks read JSON answers as `any` on purpose: the assertions are the
    // type check, and a schema per response would only restate them.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The dashboard runs in the browser. Its type check sees @types/node (the contract types
    // it imports reach the Azure SDK's), so a Node global or module slipping into a page is
    // caught here instead.
    files: ['ui/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Buffer', 'process', 'global', '__dirname', '__filename', 'require', 'module', 'setImmediate', 'clearImmediate'],
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'The dashboard runs in the browser.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  prettier,
);
