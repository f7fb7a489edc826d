/**
 * The dependency rule of the packages (issue 11), checked in CI by `npm run depcruise`.
 * What each package may import is in docs/ARCHITECTURE.md; these rules make it fail the build.
 */
const ENTRY_POINTS = [
  '^packages/[^/]+/src/index\\.ts$',
  '^packages/ports/src/(local|aws)\\.ts$',
  '^packages/client/src/node/index\\.ts$',
  '^apps/[^/]+/src/index\\.ts$',
  '^apps/web/index\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between modules: break it by moving the shared part down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'sdk-only-in-aws-adapters',
      severity: 'error',
      comment: 'Only an aws adapter (packages/ports/src/**/aws*.ts) or an aws app may import the AWS SDK.',
      from: {
        path: '^(packages|apps)/',
        pathNot: [
          '^packages/ports/src/aws[a-z-]*[.]ts$',
          '^packages/ports/src/[a-z-]+/aws[a-z-]*[.]ts$',
          '^apps/aws-[^/]+/',
        ],
      },
      to: { path: '(^|/)node_modules/@aws-sdk/' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'packages/core is the pure domain: no other workspace, no node: module, no I/O or SDK library.',
      from: { path: '^packages/core/' },
      to: {
        pathNot: ['^packages/core/', '(^|/)node_modules/(fast-xml-parser|yaml)/'],
      },
    },
    {
      name: 'core-no-builtins',
      severity: 'error',
      comment: 'packages/core runs in the browser too: no node: built-ins.',
      from: { path: '^packages/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'packages-not-apps',
      severity: 'error',
      comment: 'Packages are libraries; only apps compose them.',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'gateway-not-augmenter',
      severity: 'error',
      comment: 'The gateway gets pipelines from core and rendering from engine, never from the augmenter.',
      from: { path: '^packages/gateway/' },
      to: { path: '^packages/augmenter/' },
    },
    {
      name: 'no-deep-imports',
      severity: 'error',
      comment: 'Another package is used through its entry points (package.json exports) only, never its internals.',
      from: { path: '^(packages|apps)/([^/]+)/' },
      to: { path: '^(packages|apps)/', pathNot: ['^$1/$2/', ...ENTRY_POINTS] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(data|[.]tmp|test-artifacts)/|^(packages|apps)/[a-z-]+/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
