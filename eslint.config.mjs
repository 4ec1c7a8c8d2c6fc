// `npm run lint`: ESLint with typescript-eslint's type-checked rules on the TypeScript (src, migrations,
// tests, scripts), the plain recommended rules on the JavaScript. Formatting is Prettier's business
// (`npm run format:check`): eslint-config-prettier turns off every rule that would argue with it.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'public/',
      'coverage/',
      '.ci/',
      '.data/',
      'tests/e2e/screenshots/',
      // Copied from govuk-frontend by `npm run build:assets`.
      'assets/js/govuk-frontend.min.js',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
  },
  {
    // CommonJS for Node: the build, pack and secret scripts, Jest's configuration and reporter.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The enhancement scripts served to the browser.
    files: ['assets/js/**/*.mjs'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a parameter kept for its position (Express handlers, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // An async function may implement a Promise-returning interface (oidc-provider's hooks, a
      // store's close()) without awaiting anything; the rules that matter stay (floating and misused
      // promises).
      '@typescript-eslint/require-await': 'off',
      // Callback APIs (express-session, yauzl) hand errors typed any: passed on as they come, like
      // only-throw-error's defaults.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // Test code reads JSON responses and parsed pages, typed `any` by their libraries, and may say
    // `any` for a JSON shape it only reads; src/ may not.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
)
