// Builds one app (the two NestJS services, the fedctl CLI) into dist/apps/<app>/main.js, runnable with plain `node`.
// ts-loader keeps emitDecoratorMetadata (NestJS DI needs it; esbuild would drop it);
// node_modules stay external and are resolved from the repository's node_modules.
const path = require('node:path');
const nodeExternals = require('webpack-node-externals');
const { TsconfigPathsPlugin } = require('tsconfig-paths-webpack-plugin');

module.exports = (env) => {
  const app = env.app;
  if (!['discovery', 'adapter', 'demo', 'fedctl'].includes(app))
    throw new Error(`unknown app ${app}`);
  const root = path.resolve(__dirname, '..');
  const tsconfig = path.join(root, 'apps', app, 'tsconfig.app.json');
  return {
    mode: 'production',
    target: 'node20',
    context: root,
    entry: path.join(root, 'apps', app, 'src', 'main.ts'),
    devtool: 'source-map',
    output: { path: path.join(root, 'dist', 'apps', app), filename: 'main.js', clean: true },
    optimization: { minimize: false },
    externalsPresets: { node: true },
    externals: [nodeExternals({ modulesDir: path.join(root, 'node_modules') })],
    resolve: {
      extensions: ['.ts', '.js'],
      plugins: [new TsconfigPathsPlugin({ configFile: tsconfig })],
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          exclude: /node_modules/,
          options: { configFile: tsconfig, transpileOnly: true },
        },
      ],
    },
    node: { __dirname: false, __filename: false },
    stats: 'errors-warnings',
  };
};
