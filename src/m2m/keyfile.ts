/**
 * Loader for Zitadel's downloadable key files: a service user's key (JWT bearer grant) and an API
 * application's key (private_key_jwt client auth for introspection).
 *
 * Zitadel writes the private key as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), which jose's
 * `importPKCS8` rejects; node:crypto parses both PKCS#1 and PKCS#8, so we go PEM → KeyObject →
 * JWK → jose `importJWK`. Errors name the file and the field, never any key material.
 */
import { createPrivateKey } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { NotConfigured } from '../errors.ts';

/** A service user's key (`"type": "serviceaccount"`). */
export interface ServiceUserKey {
  keyId: string;
  userId: string;
  /** RS256 signing key (non-extractable). */
  privateKey: CryptoKey;
  expirationDate?: Date;
}

/** An API application's key (`"type": "application"`). */
export interface ApplicationKey {
  keyId: string;
  clientId: string;
  appId: string;
  /** RS256 signing key (non-extractable). */
  privateKey: CryptoKey;
  expirationDate?: Date;
}

/** Reads and parses a service-user key file. @throws NotConfigured naming the file and field */
export async function loadServiceUserKey(path: string): Promise<ServiceUserKey> {
  return parseServiceUserKey(await readKeyFile(path), `service-user key file ${path}`);
}

/** Reads and parses an application key file. @throws NotConfigured naming the file and field */
export async function loadApplicationKey(path: string): Promise<ApplicationKey> {
  return parseApplicationKey(await readKeyFile(path), `application key file ${path}`);
}

/**
 * Parses the JSON text of a service-user key file.
 * @param source how errors name the file, e.g. `service-user key file /etc/zitauth/sa.json`
 */
export async function parseServiceUserKey(text: string, source = 'service-user key file'): Promise<ServiceUserKey> {
  const json = parseJson(text, source);
  expectType(json, 'serviceaccount', source);
  const keyId = requireString(json, 'keyId', source);
  const userId = requireString(json, 'userId', source);
  const privateKey = await importRsaKey(requireString(json, 'key', source), source);
  const expirationDate = optionalDate(json, source);
  return expirationDate === undefined ? { keyId, userId, privateKey } : { keyId, userId, privateKey, expirationDate };
}

/**
 * Parses the JSON text of an application key file.
 * @param source how errors name the file, e.g. `service-user key file /etc/zitauth/sa.json`
 */
export async function parseApplicationKey(text: string, source = 'application key file'): Promise<ApplicationKey> {
  const json = parseJson(text, source);
  expectType(json, 'application', source);
  const keyId = requireString(json, 'keyId', source);
  const clientId = requireString(json, 'clientId', source);
  const appId = requireString(json, 'appId', source);
  const privateKey = await importRsaKey(requireString(json, 'key', source), source);
  const expirationDate = optionalDate(json, source);
  const out: ApplicationKey = { keyId, clientId, appId, privateKey };
  if (expirationDate !== undefined) out.expirationDate = expirationDate;
  return out;
}

function fail(source: string, what: string): never {
  throw new NotConfigured(`${source}: ${what}`);
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await Bun.file(path).text();
  } catch (err) {
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
    return fail(`key file ${path}`, `cannot be read (${typeof code === 'string' ? code : 'read error'})`);
  }
}

function parseJson(text: string, source: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message can quote file content, i.e. key material: do not pass it on.
    fail(source, 'is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(source, 'is not a JSON object');
  return json as Record<string, unknown>;
}

function expectType(json: Record<string, unknown>, type: string, source: string): void {
  if (json.type !== type) {
    // Echo the value only when it is plainly a type name, never arbitrary file content.
    const got = typeof json.type === 'string' && /^[a-z_]{1,20}$/.test(json.type) ? `"${json.type}"` : 'missing or unexpected';
    fail(source, `field "type" must be "${type}" (got ${got})`);
  }
}

function requireString(json: Record<string, unknown>, field: string, source: string): string {
  const value = json[field];
  if (typeof value !== 'string' || value.length === 0) fail(source, `field "${field}" is missing or not a non-empty string`);
  return value;
}

function optionalDate(json: Record<string, unknown>, source: string): Date | undefined {
  const value = json.expirationDate;
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) fail(source, 'field "expirationDate" is not a date');
  return date;
}

async function importRsaKey(pem: string, source: string): Promise<CryptoKey> {
  let jwk: JWK;
  try {
    const keyObject = createPrivateKey({ key: pem, format: 'pem' });
    if (keyObject.asymmetricKeyType !== 'rsa') fail(source, 'field "key" is not an RSA private key');
    jwk = keyObject.export({ format: 'jwk' }) as JWK;
  } catch (err) {
    if (err instanceof NotConfigured) throw err;
    // node:crypto's messages do not echo the PEM, but we keep only a fixed text to be certain.
    fail(source, 'field "key" is not a PEM-encoded private key (PKCS#1 or PKCS#8)');
  }
  try {
    return (await importJWK(jwk, 'RS256')) as CryptoKey;
  } catch {
    fail(source, 'field "key" cannot be used for RS256');
  }
}
