// swagger-ui-dist ships no types; this declares the one function we use. It is imported
// from absolute-path.js alone: the package's index also runs the 1.4 MB browser bundle in
// Node, which costs each service ≈ 45 MiB of resident memory (bench/discovery).
declare module 'swagger-ui-dist/absolute-path.js' {
  /** The folder holding swagger-ui-bundle.js, swagger-ui.css... */
  function getAbsoluteFSPath(): string;
  export = getAbsoluteFSPath;
}
