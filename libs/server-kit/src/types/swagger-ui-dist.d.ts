// swagger-ui-dist ships no types; this declares the one function we use.
declare module 'swagger-ui-dist' {
  /** The folder holding swagger-ui-bundle.js, swagger-ui.css... */
  export function getAbsoluteFSPath(): string;
}
