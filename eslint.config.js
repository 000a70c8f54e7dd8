import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const focusedOrSkipped = ['it', 'test', 'describe', 'suite'].flatMap((object) =>
  ['only', 'skip', 'todo'].map((property) => ({
    object,
    property,
    message: `${object}.${property} is not allowed: every test runs, none is focused.`,
  })),
);

export default tseslint.config(
  { ignores: ['node_modules', 'cdk.out', '.data', 'coverage', 'bench/results.json', 'console/dist', 'test/artifacts', '.tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-restricted-properties': ['error', ...focusedOrSkipped],
    },
  },
  {
    files: ['lib/domain/**/*.ts'],
    rules: {
      // Domain rules are pure: the clock and configuration are passed in.
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pass the clock in: domain rules are pure.' },
        { object: 'process', property: 'env', message: 'Pass configuration in: domain rules are pure.' },
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*', '@aws-sdk/*', '../adapters/*', '../app/*'] }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
