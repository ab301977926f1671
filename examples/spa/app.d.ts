// app.js is browser code served as a file; assets.ts imports it `with { type: 'file' }`, which
// yields the path of the (embedded) file, not a module.
declare const path: string;
export default path;
