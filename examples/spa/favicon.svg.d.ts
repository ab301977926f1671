// favicon.svg is served as a file; assets.ts imports it `with { type: 'file' }`, which yields the
// path of the (embedded) file.
declare const path: string;
export default path;
