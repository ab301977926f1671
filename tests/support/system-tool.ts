/**
 * Some tests drive real system programs (Chromium, nginx, podman, docker-compose) that come from
 * Debian packages, not from npm. In CI (`CI` set; `.ci/run` installs them) a missing program is a
 * failure. On a developer machine with only Node/npm the test is skipped with a loud notice
 * naming the package, so `bun test` stays useful there.
 */
export function systemTool(path: string, aptPackage: string, testFile: string): boolean {
  const found = path.includes('/') ? Bun.file(path).size > 0 : Bun.which(path) !== null;
  if (found) return true;
  const msg = `${testFile}: ${path} not found — install it with "apt-get install -y ${aptPackage}" (bash .ci/run does)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`\n*** SKIPPED ${msg} ***\n`);
  return false;
}
