// Service-token contract, checked through the official Node SDK (`cloudflare` 7.x) only.
//
// Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with:
//   CLOUDFLARE_BASE_URL        <api>/client/v4
//   CLOUDFLARE_API_TOKEN       an API token with edit permission
//   GATEHOUSE_ACCOUNT_ID       the account id
//   GATEHOUSE_READONLY_TOKEN   an API token with read permission only
// The harness copies this file next to the installed node_modules, so `cloudflare` resolves there.
// Exits non-zero (with a stack trace) on the first broken expectation.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import Cloudflare from 'cloudflare';
import { VERSION } from 'cloudflare/version';

const ACCOUNT = process.env.GATEHOUSE_ACCOUNT_ID;
const READONLY_TOKEN = process.env.GATEHOUSE_READONLY_TOKEN;
assert.ok(ACCOUNT && READONLY_TOKEN, 'GATEHOUSE_ACCOUNT_ID and GATEHOUSE_READONLY_TOKEN must be set');
const FOREVER = Date.parse('9999-12-31T23:59:59Z');
const CLIENT_ID = /^[0-9a-f]{32}\.access$/;
const HOUR = 3600 * 1000;
// Timestamps have second precision, and the server's clock is read a moment apart from ours.
const SLACK = 5000;
const PAGINATED = 250;

// Retries would only hide failures and slow the run down.
const client = new Cloudflare({ maxRetries: 0 });
const tokens = client.zeroTrust.access.serviceTokens;

function step(title) {
  console.log(`--- ${title}`);
}

function when(value) {
  assert.equal(typeof value, 'string', `expected an RFC 3339 timestamp, got ${JSON.stringify(value)}`);
  assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, `not RFC 3339: ${value}`);
  return Date.parse(value);
}

function assertNear(value, low, high, what) {
  const got = when(value);
  assert.ok(low - SLACK <= got && got <= high + SLACK, `${what}: ${value} not within [${new Date(low).toISOString()}, ${new Date(high).toISOString()}]`);
}

function token(result) {
  assert.ok(result && typeof result === 'object', `the SDK returned ${JSON.stringify(result)}: the response had no \`result\``);
  return result;
}

async function expectError(ErrorClass, status, call, code) {
  let result;
  try {
    result = await call();
  } catch (error) {
    assert.ok(error instanceof Cloudflare.APIError, `expected ${ErrorClass.name} (${status}), got ${error}`);
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name} (${status}), got ${error.constructor.name} ${error.status}: ${error.message}`);
    assert.equal(error.status, status, `${ErrorClass.name} status`);
    if (code !== undefined) {
      const codes = (error.errors ?? []).map((e) => e.code);
      assert.ok(codes.includes(code), `${ErrorClass.name}: error codes ${JSON.stringify(codes)}, expected ${code}; ${error.message}`);
    }
    return error;
  }
  assert.fail(`expected ${ErrorClass.name} (${status}), but the call succeeded: ${JSON.stringify(result)}`);
}

async function testCreate() {
  step('create with duration 8760h');
  const before = Date.now();
  const created = token(await tokens.create({ account_id: ACCOUNT, name: 'node-ci', duration: '8760h' }));
  const after = Date.now();
  assert.match(created.client_id ?? '', CLIENT_ID, 'client_id format');
  assert.ok(typeof created.client_secret === 'string' && created.client_secret.length > 0, `create must return a client_secret: ${JSON.stringify(created)}`);
  assert.equal(created.name, 'node-ci');
  assert.equal(created.duration, '8760h');
  assert.ok(created.id, 'id');
  assertNear(created.expires_at, before + 8760 * HOUR, after + 8760 * HOUR, 'expires_at of an 8760h token');

  step('create with duration forever');
  const forever = token(await tokens.create({ account_id: ACCOUNT, name: 'node-forever', duration: 'forever' }));
  assert.equal(forever.duration, 'forever');
  assert.equal(when(forever.expires_at), FOREVER, `expires_at of a forever token: ${forever.expires_at}`);
  return created;
}

async function testGet(created) {
  step('get');
  const got = token(await tokens.get(created.id, { account_id: ACCOUNT }));
  assert.equal(got.id, created.id);
  assert.equal(got.name, created.name);
  assert.equal(got.client_id, created.client_id);
  assert.equal(got.client_secret, undefined, `get must not return the client_secret: ${JSON.stringify(got)}`);
  assert.ok('last_seen_at' in got, `last_seen_at must be present: ${JSON.stringify(got)}`);
  assert.equal(got.last_seen_at, null, 'last_seen_at of an unused token');
  assert.equal(got.client_secret_version, 1);
  assert.equal(got.enabled, true);
  for (const key of ['created_at', 'updated_at', 'expires_at']) when(got[key]);
  assert.equal(when(got.expires_at), when(created.expires_at), 'expires_at changed between create and get');
}

async function testUpdate(created) {
  step('update name and duration');
  const before = Date.now();
  const updated = token(await tokens.update(created.id, { account_id: ACCOUNT, name: 'node-renamed', duration: '17520h' }));
  const after = Date.now();
  assert.equal(updated.name, 'node-renamed');
  assert.equal(updated.duration, '17520h');
  assert.ok(when(updated.expires_at) > when(created.expires_at), `expires_at did not move: ${updated.expires_at}`);
  assertNear(updated.expires_at, before + 17520 * HOUR, after + 17520 * HOUR, 'expires_at after update');
  assert.equal(updated.client_id, created.client_id, 'update changed the client_id');
  assert.equal(updated.client_secret, undefined, 'a plain update must not return a secret');

  step('update enabled=false');
  const disabled = token(await tokens.update(created.id, { account_id: ACCOUNT, enabled: false }));
  assert.equal(disabled.enabled, false);
  assert.equal(disabled.name, 'node-renamed', 'an update without name must keep it');
  const again = token(await tokens.get(created.id, { account_id: ACCOUNT }));
  assert.equal(again.enabled, false, 'enabled=false not stored');
}

async function testRotate(created) {
  step('rotate');
  const rotated = token(await tokens.rotate(created.id, { account_id: ACCOUNT }));
  assert.ok(rotated.client_secret, `rotate must return a client_secret: ${JSON.stringify(rotated)}`);
  assert.notEqual(rotated.client_secret, created.client_secret, 'rotate returned the old secret');
  assert.equal(rotated.client_secret_version, 2);
  assert.equal(rotated.client_id, created.client_id, 'rotate changed the client_id');

  step('rotate with previous_client_secret_expires_at');
  const graceEnd = new Date(Math.floor(Date.now() / 1000) * 1000 + 24 * HOUR);
  const graceText = graceEnd.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const graced = token(await tokens.rotate(created.id, { account_id: ACCOUNT, previous_client_secret_expires_at: graceText }));
  assert.ok(graced.client_secret, 'rotate must return a client_secret');
  assert.ok(![created.client_secret, rotated.client_secret].includes(graced.client_secret), 'rotate reused a secret');
  assert.equal(graced.client_secret_version, 3);
  assert.ok(graced.previous_client_secret_expires_at, `previous_client_secret_expires_at missing: ${JSON.stringify(graced)}`);
  assert.equal(when(graced.previous_client_secret_expires_at), graceEnd.getTime(), `previous_client_secret_expires_at: sent ${graceText}, got ${graced.previous_client_secret_expires_at}`);
}

async function testRefresh(created) {
  step('refresh');
  const previous = token(await tokens.get(created.id, { account_id: ACCOUNT }));
  const before = Date.now();
  const refreshed = token(await tokens.refresh(created.id, { account_id: ACCOUNT }));
  const after = Date.now();
  assert.equal(refreshed.id, created.id);
  assert.equal(refreshed.client_secret, undefined, 'refresh must not return a secret');
  assert.ok(when(refreshed.expires_at) >= when(previous.expires_at), `refresh moved expires_at back: ${previous.expires_at} -> ${refreshed.expires_at}`);
  // 17520h is the duration set by testUpdate.
  assertNear(refreshed.expires_at, before + 17520 * HOUR, after + 17520 * HOUR, 'expires_at after refresh');
}

async function createMany(prefix) {
  const ids = [];
  for (let start = 0; start < PAGINATED; start += 25) {
    const batch = [];
    for (let i = start; i < Math.min(start + 25, PAGINATED); i++) {
      const name = `${prefix}${String(i).padStart(3, '0')}`;
      batch.push(tokens.create({ account_id: ACCOUNT, name, duration: '1h' }).then((t) => token(t).id));
    }
    ids.push(...(await Promise.all(batch)));
  }
  const distinct = new Set(ids);
  assert.equal(distinct.size, PAGINATED, 'created ids are distinct');
  return distinct;
}

// Iterates the auto-paginating list and returns the ids, failing instead of looping forever.
async function collect(prefix, params = {}) {
  const seen = [];
  for await (const t of tokens.list({ account_id: ACCOUNT, search: prefix, ...params })) {
    assert.ok(t.name.startsWith(prefix), `search=${prefix} returned ${t.name}`);
    seen.push(t.id);
    assert.ok(seen.length <= 4 * PAGINATED, `pagination does not end: ${seen.length} items so far`);
  }
  return seen;
}

function assertSameIds(got, expected, what) {
  assert.equal(got.length, PAGINATED, `${what}: ${got.length} items, expected ${PAGINATED}`);
  assert.equal(new Set(got).size, PAGINATED, `${what}: duplicate ids`);
  assert.ok(got.every((id) => expected.has(id)), `${what}: ids that were not created`);
}

async function testPagination() {
  const prefix = `node-page-${randomBytes(4).toString('hex')}-`;
  step(`create ${PAGINATED} tokens named ${prefix}NNN`);
  const created = await createMany(prefix);

  step('auto-paginate with per_page=100');
  const first = await tokens.list({ account_id: ACCOUNT, search: prefix, per_page: 100 });
  assert.equal(first.result.length, 100, 'first page size');
  assertSameIds(await collect(prefix, { per_page: 100 }), created, 'per_page=100');

  step('auto-paginate with the default page size');
  assertSameIds(await collect(prefix), created, 'default page size');

  step('a page past the end is empty');
  const past = await tokens.list({ account_id: ACCOUNT, search: prefix, per_page: 100, page: 4 });
  assert.deepEqual(past.result, [], 'page 4 of 3 must be empty');

  step('name filter');
  const wanted = `${prefix}007`;
  const named = [];
  for await (const t of tokens.list({ account_id: ACCOUNT, name: wanted })) named.push(t.name);
  assert.deepEqual(named, [wanted], `name=${wanted}`);
}

async function testDelete() {
  step('delete');
  const doomed = token(await tokens.create({ account_id: ACCOUNT, name: 'node-doomed' }));
  const deleted = token(await tokens.delete(doomed.id, { account_id: ACCOUNT }));
  assert.equal(deleted.id, doomed.id, 'delete must return the deleted token');
  assert.equal(deleted.name, 'node-doomed', 'delete must return the deleted token');
  await expectError(Cloudflare.NotFoundError, 404, () => tokens.get(doomed.id, { account_id: ACCOUNT }));
}

async function testErrors() {
  step('invalid durations -> 400 / 12130');
  for (const bad of ['0s', 'banana']) {
    await expectError(Cloudflare.BadRequestError, 400, () => tokens.create({ account_id: ACCOUNT, name: 'node-bad', duration: bad }), 12130);
  }

  // 10000 "Authentication error" is what Cloudflare answers for an unknown token on a resource
  // (spec §1.2); 1000 "Invalid API Token" belongs to /tokens/verify.
  step('wrong API token -> 401 / 10000');
  const wrong = new Cloudflare({ apiToken: 'wrong', maxRetries: 0 }).zeroTrust.access.serviceTokens;
  await expectError(Cloudflare.AuthenticationError, 401, () => wrong.list({ account_id: ACCOUNT }), 10000);

  step('read-only token: list works, create -> 403 / 9109');
  const readOnly = new Cloudflare({ apiToken: READONLY_TOKEN, maxRetries: 0 }).zeroTrust.access.serviceTokens;
  const listed = [];
  for await (const t of readOnly.list({ account_id: ACCOUNT, per_page: 5, search: 'node-renamed' })) listed.push(t);
  assert.equal(listed.length, 1, `read-only list: ${JSON.stringify(listed)}`);
  await expectError(Cloudflare.PermissionDeniedError, 403, () => readOnly.create({ account_id: ACCOUNT, name: 'node-denied' }), 9109);

  step('unknown id -> 404');
  await expectError(Cloudflare.NotFoundError, 404, () => tokens.get(randomUUID(), { account_id: ACCOUNT }));
}

console.log(`cloudflare ${VERSION} (Node ${process.version})`);
assert.match(VERSION, /^7\./, `expected cloudflare 7.x, got ${VERSION}`);
const created = await testCreate();
await testGet(created);
await testUpdate(created);
await testRotate(created);
await testRefresh(created);
await testPagination();
await testDelete();
await testErrors();
console.log('node contract: all checks passed');
