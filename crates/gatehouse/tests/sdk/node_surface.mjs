// The whole Access surface of the official Node SDK (`cloudflare` 7.x), method by method.
//
// Every method under `zeroTrust.access` (serviceTokens, applications and their sub-resources,
// policies, groups, logs, keys, users, bookmarks), `zeroTrust.organizations`, `user.tokens` and
// `accounts.list` is called at least once: the methods gatehouse serves must answer as the SDK
// expects (the result parses, pagination ends, errors throw the SDK's error classes); the ones it
// does not serve must throw `NotFoundError` (404, code 12180) with a message naming them. At the
// end the script walks the SDK's resource tree and fails if any method was not called, then
// prints the count. The Python SDK's twin is python_surface.py.
//
// Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with:
//   CLOUDFLARE_BASE_URL        <api>/client/v4 (also the origin of the test applications)
//   CLOUDFLARE_API_TOKEN       an API token with edit permission
//   GATEHOUSE_ACCOUNT_ID       the account id
//   GATEHOUSE_READONLY_TOKEN   an API token with read permission only
//   GATEHOUSE_GATEWAY_URL      http://127.0.0.1:PORT of the gateway
// The harness copies this file next to the installed node_modules, so `cloudflare` resolves there.
// Exits non-zero (with a stack trace) on the first broken expectation.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Cloudflare from 'cloudflare';
import { APIResource } from 'cloudflare/resource';
import { VERSION } from 'cloudflare/version';

const ACCOUNT = process.env.GATEHOUSE_ACCOUNT_ID;
const READONLY_TOKEN = process.env.GATEHOUSE_READONLY_TOKEN;
const GATEWAY = process.env.GATEHOUSE_GATEWAY_URL;
const BASE = process.env.CLOUDFLARE_BASE_URL;
assert.ok(ACCOUNT && READONLY_TOKEN && GATEWAY && BASE, 'GATEHOUSE_ACCOUNT_ID, GATEHOUSE_READONLY_TOKEN, GATEHOUSE_GATEWAY_URL and CLOUDFLARE_BASE_URL must be set');
// The applications' origin is gatehouse's own API: a request let through is answered by
// `GET /client/v4/openapi.json` (200, no credentials needed), one refused by the gateway (403).
const ORIGIN = new URL(BASE).origin;
const PROBE = '/client/v4/openapi.json';
// The gateway applies API changes and records secret use asynchronously, within moments.
const SETTLE_MS = 10_000;
const NOT_SUPPORTED = 12180;
const RUN = randomBytes(3).toString('hex');

// Retries would only hide failures and slow the run down.
const client = new Cloudflare({ maxRetries: 0 });
const access = client.zeroTrust.access;
const covered = new Set();

function step(title) {
  console.log(`--- ${title}`);
}

function covers(...methods) {
  for (const method of methods) covered.add(method);
}

function object(result, what) {
  assert.ok(result && typeof result === 'object', `${what}: the SDK returned ${JSON.stringify(result)}: the response had no \`result\``);
  return result;
}

/// `zeroTrust.access.applications.userPolicyChecks` → `zero_trust.access.applications.user_policy_checks`,
/// the name gatehouse's messages use.
function snake(path) {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

async function expectError(ErrorClass, status, call, { code, text } = {}) {
  let result;
  try {
    result = await call();
  } catch (error) {
    assert.ok(error instanceof Cloudflare.APIError, `expected ${ErrorClass.name} (${status}), got ${error}`);
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name} (${status}), got ${error.constructor.name} ${error.status}: ${error.message}`);
    assert.equal(error.status, status, `${ErrorClass.name} status`);
    const body = error.error;
    assert.ok(body && body.success === false && body.result === null, `not Cloudflare's error envelope: ${JSON.stringify(body)}`);
    const errors = error.errors ?? [];
    if (code !== undefined) {
      const codes = errors.map((e) => e.code);
      assert.ok(codes.includes(code), `${ErrorClass.name}: error codes ${JSON.stringify(codes)}, expected ${code}; ${error.message}`);
    }
    if (text !== undefined) {
      const messages = errors.map((e) => e.message).join(' ');
      assert.ok(messages.includes(text), `error message ${JSON.stringify(messages)} does not mention ${JSON.stringify(text)}`);
    }
    return error;
  }
  assert.fail(`expected ${ErrorClass.name} (${status}), but the call succeeded: ${JSON.stringify(result)}`);
}

/// `method` is not served: 404 / 12180, the message naming the SDK resource (`names`, or the
/// method's resource).
async function notSupported(method, call, names) {
  const text = names ?? snake(method.slice(0, method.lastIndexOf('.')));
  await expectError(Cloudflare.NotFoundError, 404, call, { code: NOT_SUPPORTED, text });
  covers(method);
}

/// Every item of an auto-paginating list, failing instead of looping forever.
async function drain(page, limit = 1000) {
  const items = [];
  for await (const item of page) {
    items.push(item);
    assert.ok(items.length <= limit, `pagination does not end: ${items.length} items so far`);
  }
  return items;
}

/// The gateway's status for `GET PROBE` on `host` (node:http, since fetch cannot set `Host`).
function gateway(host, clientId, secret) {
  const headers = { Host: host };
  if (clientId !== undefined) {
    headers['CF-Access-Client-Id'] = clientId;
    headers['CF-Access-Client-Secret'] = secret;
  }
  return new Promise((resolve, reject) => {
    const request = http.get(GATEWAY + PROBE, { headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('timeout', () => request.destroy(new Error(`the gateway did not answer for ${host}`)));
    request.on('error', reject);
  });
}

async function eventually(host, clientId, secret, expected, what) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const status = await gateway(host, clientId, secret);
    if (status === expected) return;
    assert.ok(Date.now() < deadline, `${what}: the gateway answers ${status}, expected ${expected}`);
    await sleep(100);
  }
}

function utcText(ms) {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

// --- accounts, user.tokens ---------------------------------------------------------------------

async function testAccounts() {
  step('accounts.list auto-paginates and ends');
  const accounts = await drain(client.accounts.list(), 10);
  assert.deepEqual(accounts.map((a) => a.id), [ACCOUNT], 'accounts.list');
  assert.ok(accounts[0].name, `account without a name: ${JSON.stringify(accounts[0])}`);
  const second = await client.accounts.list({ page: 2 });
  assert.deepEqual(second.result, [], 'page 2 of one account is empty');
  assert.equal(second.hasNextPage(), false, 'no page after the last');
  await expectError(Cloudflare.BadRequestError, 400, () => client.accounts.list({ page: 0 }), { code: 12091 });
  covers('accounts.list');
}

async function testUserTokens() {
  step('user.tokens.verify');
  const verified = object(await client.user.tokens.verify(), 'verify');
  assert.ok(verified.status === 'active' && verified.id, `verify: ${JSON.stringify(verified)}`);
  const wrong = new Cloudflare({ apiToken: 'wrong-token', maxRetries: 0 });
  await expectError(Cloudflare.AuthenticationError, 401, () => wrong.user.tokens.verify(), { code: 1000 });
  covers('user.tokens.verify');

  step('user.tokens management is not supported');
  const tokens = client.user.tokens;
  const id = randomBytes(16).toString('hex');
  const names = 'user.tokens';
  await notSupported('user.tokens.create', () => tokens.create({ name: 'x', policies: [] }), names);
  await notSupported('user.tokens.list', () => tokens.list(), names);
  await notSupported('user.tokens.get', () => tokens.get(id), names);
  await notSupported('user.tokens.update', () => tokens.update(id, { name: 'x', policies: [] }), names);
  await notSupported('user.tokens.delete', () => tokens.delete(id), names);
  await notSupported('user.tokens.value.update', () => tokens.value.update(id), names);
  await notSupported('user.tokens.permissionGroups.list', () => tokens.permissionGroups.list(), names);
}

// --- service tokens ----------------------------------------------------------------------------

async function testServiceTokens() {
  step('serviceTokens: create, get, list, update, refresh, delete');
  const tokens = access.serviceTokens;
  const created = object(await tokens.create({ account_id: ACCOUNT, name: `surface-${RUN}`, duration: '8760h' }), 'create');
  assert.ok(created.client_secret, `create returns the secret: ${JSON.stringify(created)}`);
  const got = object(await tokens.get(created.id, { account_id: ACCOUNT }), 'get');
  assert.ok(got.client_id === created.client_id && got.client_secret === undefined, `get: ${JSON.stringify(got)}`);
  const listed = await drain(tokens.list({ account_id: ACCOUNT, search: `surface-${RUN}`, per_page: 1 }));
  assert.deepEqual(listed.map((t) => t.id), [created.id], 'list');
  const updated = object(await tokens.update(created.id, { account_id: ACCOUNT, name: `surface-${RUN}-renamed` }), 'update');
  assert.ok(updated.name.endsWith('-renamed'), `update: ${JSON.stringify(updated)}`);
  const refreshed = object(await tokens.refresh(created.id, { account_id: ACCOUNT }), 'refresh');
  assert.ok(refreshed.id === created.id && refreshed.client_secret === undefined, `refresh: ${JSON.stringify(refreshed)}`);
  await expectError(Cloudflare.BadRequestError, 400, () => tokens.create({ account_id: ACCOUNT, name: 'bad', duration: 'banana' }), { code: 12130 });
  await expectError(Cloudflare.NotFoundError, 404, () => tokens.get(randomUUID(), { account_id: ACCOUNT }));
  const readOnly = new Cloudflare({ apiToken: READONLY_TOKEN, maxRetries: 0 }).zeroTrust.access.serviceTokens;
  await expectError(Cloudflare.PermissionDeniedError, 403, () => readOnly.delete(created.id, { account_id: ACCOUNT }), { code: 9109 });
  const deleted = object(await tokens.delete(created.id, { account_id: ACCOUNT }), 'delete');
  assert.equal(deleted.id, created.id, 'delete');
  await expectError(Cloudflare.NotFoundError, 404, () => tokens.get(created.id, { account_id: ACCOUNT }));
  await expectError(Cloudflare.NotFoundError, 404, () => tokens.list({ zone_id: '0'.repeat(32) }), { code: NOT_SUPPORTED, text: 'zone-scoped' });
  covers(...['create', 'get', 'list', 'update', 'refresh', 'delete'].map((m) => `zeroTrust.access.serviceTokens.${m}`));
}

/// An application at `host` forwarding to ORIGIN, admitting `token` only.
async function tokenApp(host, token, name) {
  const policy = { name: `${name} token`, decision: 'non_identity', include: [{ service_token: { token_id: token.id } }] };
  return object(
    await access.applications.create({ account_id: ACCOUNT, name, domain: host, type: 'self_hosted', policies: [policy], origin: ORIGIN }),
    'applications.create',
  );
}

async function testRotation() {
  step('serviceTokens.rotate: with and without previous_client_secret_expires_at, through the gateway');
  const tokens = access.serviceTokens;
  const token = object(await tokens.create({ account_id: ACCOUNT, name: `rotate-${RUN}` }), 'create');
  const host = `rotate-${RUN}.example.com`;
  await tokenApp(host, token, `rotate-${RUN}`);
  const first = token.client_secret;
  await eventually(host, token.client_id, first, 200, 'the token before any rotation');

  // The raw envelope, for its `messages` (the SDK hands over `result` only).
  const envelope = await (await tokens.rotate(token.id, { account_id: ACCOUNT }).asResponse()).json();
  const rotated = object(envelope.result, 'rotate');
  const second = rotated.client_secret;
  assert.ok(rotated.client_secret_version === 2 && second && second !== first, `rotate: ${JSON.stringify(rotated)}`);
  assert.equal(rotated.previous_client_secret_expires_at ?? null, null, 'no deadline was given');
  const kept = envelope.messages.find((m) => m.code === 12150);
  assert.ok(kept && /until the new one is first used/.test(kept.message), `rotate without a deadline must say how long the old secret lives: ${JSON.stringify(envelope.messages)}`);
  await eventually(host, token.client_id, second, 200, 'the new secret');
  await eventually(host, token.client_id, first, 403, 'the previous secret once the new one was used');

  const now = utcText(Date.now() - 1000);
  const ended = object(await tokens.rotate(token.id, { account_id: ACCOUNT, previous_client_secret_expires_at: now }), 'rotate');
  await eventually(host, token.client_id, second, 403, 'the previous secret with a past deadline');
  await eventually(host, token.client_id, ended.client_secret, 200, 'the newest secret');
  await expectError(Cloudflare.BadRequestError, 400, () => tokens.rotate(token.id, { account_id: ACCOUNT, previous_client_secret_expires_at: 'soon' }), { code: 12130 });
  covers('zeroTrust.access.serviceTokens.rotate');
}

// --- applications ------------------------------------------------------------------------------

async function testApplications() {
  step('applications: create, get, list, update, revokeTokens');
  const apps = access.applications;
  const token = object(await access.serviceTokens.create({ account_id: ACCOUNT, name: `apps-${RUN}` }), 'create');
  const host = `app-${RUN}.example.com`;
  const app = await tokenApp(host, token, `app-${RUN}`);
  assert.ok(app.origin === ORIGIN && app.aud?.length === 64, `create: ${JSON.stringify(app)}`);
  assert.equal(app.policies[0].decision, 'non_identity', 'inline policy');
  const got = object(await apps.get(app.id, { account_id: ACCOUNT }), 'get');
  assert.ok(got.id === app.id && got.domain === host, `get: ${JSON.stringify(got)}`);
  for (let i = 0; i < 3; i++) {
    await apps.create({ account_id: ACCOUNT, name: `app-${RUN}-page-${i}`, domain: `page${i}-${RUN}.example.com`, type: 'self_hosted' });
  }
  const paged = await drain(apps.list({ account_id: ACCOUNT, search: `app-${RUN}-page`, per_page: 2 }));
  assert.deepEqual(paged.map((a) => a.name).sort(), [0, 1, 2].map((i) => `app-${RUN}-page-${i}`), 'list per_page=2');
  const byDomain = await drain(apps.list({ account_id: ACCOUNT, domain: host }));
  assert.deepEqual(byDomain.map((a) => a.id), [app.id], 'list by domain');
  await eventually(host, token.client_id, token.client_secret, 200, 'the application through the gateway');

  const renamed = object(await apps.update(app.id, { account_id: ACCOUNT, name: `app-${RUN}-renamed`, domain: host, type: 'self_hosted' }), 'update');
  assert.equal(renamed.name, `app-${RUN}-renamed`, 'update');
  assert.equal(renamed.origin, ORIGIN, 'an update that does not mention origin keeps it');
  const revoked = await apps.revokeTokens(app.id, { account_id: ACCOUNT });
  assert.equal(revoked ?? null, null, `revokeTokens: ${JSON.stringify(revoked)}`);
  await expectError(Cloudflare.BadRequestError, 400, () => apps.create({ account_id: ACCOUNT, domain: '', type: 'self_hosted' }), { code: 12130 });
  await expectError(Cloudflare.NotFoundError, 404, () => apps.get(randomUUID(), { account_id: ACCOUNT }), { code: 11021 });
  covers(...['create', 'get', 'list', 'update', 'revokeTokens'].map((m) => `zeroTrust.access.applications.${m}`));
  return { app, token, host };
}

async function testAppPolicies(app, token) {
  step('applications.policies: create, list, get, update, delete');
  const policies = access.applications.policies;
  const include = [{ service_token: { token_id: token.id } }];
  const created = object(await policies.create(app.id, { account_id: ACCOUNT, name: 'second', decision: 'non_identity', include, precedence: 2 }), 'create');
  assert.ok(created.name === 'second' && created.precedence === 2, `create: ${JSON.stringify(created)}`);
  const listed = await drain(policies.list(app.id, { account_id: ACCOUNT, per_page: 1 }));
  assert.equal(listed.length, 2, `list per_page=1: ${JSON.stringify(listed.map((p) => p.name))}`);
  const got = object(await policies.get(created.id, { account_id: ACCOUNT, app_id: app.id }), 'get');
  assert.equal(got.id, created.id, 'get');
  const updated = object(await policies.update(created.id, { account_id: ACCOUNT, app_id: app.id, name: 'second renamed', decision: 'non_identity', include, precedence: 2 }), 'update');
  assert.equal(updated.name, 'second renamed', 'update');
  await expectError(Cloudflare.BadRequestError, 400, () => policies.create(app.id, { account_id: ACCOUNT, name: 'bad', decision: 'maybe', include }), { code: 12130 });
  const deleted = object(await policies.delete(created.id, { account_id: ACCOUNT, app_id: app.id }), 'delete');
  assert.equal(deleted.id, created.id, 'delete');
  await expectError(Cloudflare.NotFoundError, 404, () => policies.get(created.id, { account_id: ACCOUNT, app_id: app.id }), { code: 12134 });
  covers(...['create', 'list', 'get', 'update', 'delete'].map((m) => `zeroTrust.access.applications.policies.${m}`));
}

async function testAppUnsupported(app) {
  step('applications: certificates, settings, user policy checks, policy tests are not supported');
  const apps = access.applications;
  const p = 'zeroTrust.access.applications';
  await notSupported(`${p}.cas.create`, () => apps.cas.create(app.id, { account_id: ACCOUNT }));
  await notSupported(`${p}.cas.get`, () => apps.cas.get(app.id, { account_id: ACCOUNT }));
  await notSupported(`${p}.cas.list`, () => apps.cas.list({ account_id: ACCOUNT }));
  await notSupported(`${p}.cas.delete`, () => apps.cas.delete(app.id, { account_id: ACCOUNT }));
  await notSupported(`${p}.settings.update`, () => apps.settings.update(app.id, { account_id: ACCOUNT, allow_iframe: true }));
  await notSupported(`${p}.settings.edit`, () => apps.settings.edit(app.id, { account_id: ACCOUNT, allow_iframe: true }));
  await notSupported(`${p}.userPolicyChecks.list`, () => apps.userPolicyChecks.list(app.id, { account_id: ACCOUNT }));
  const testId = randomUUID();
  const tests = 'zero_trust.access.applications.policy_tests';
  await notSupported(`${p}.policyTests.create`, () => apps.policyTests.create({ account_id: ACCOUNT, policies: [] }), tests);
  await notSupported(`${p}.policyTests.get`, () => apps.policyTests.get(testId, { account_id: ACCOUNT }), tests);
  await notSupported(`${p}.policyTests.users.list`, () => apps.policyTests.users.list(testId, { account_id: ACCOUNT }), tests);
}

async function testAppDelete(app) {
  step('applications.delete');
  const deleted = object(await access.applications.delete(app.id, { account_id: ACCOUNT }), 'delete');
  assert.equal(deleted.id, app.id, 'delete');
  await expectError(Cloudflare.NotFoundError, 404, () => access.applications.get(app.id, { account_id: ACCOUNT }), { code: 11021 });
  covers('zeroTrust.access.applications.delete');
}

// --- reusable policies, groups -----------------------------------------------------------------

async function testPolicies() {
  step('policies: create, list, get, update, delete');
  const policies = access.policies;
  const made = [];
  for (let i = 0; i < 3; i++) {
    made.push(object(await policies.create({ account_id: ACCOUNT, name: `reusable-${RUN}-${i}`, decision: 'allow', include: [{ everyone: {} }] }), 'create'));
  }
  assert.ok(made.every((p) => p.reusable === true), `create: ${JSON.stringify(made)}`);
  const listed = (await drain(policies.list({ account_id: ACCOUNT, per_page: 2 }))).map((p) => p.id);
  assert.ok(made.every((p) => listed.includes(p.id)), `list per_page=2: ${listed}`);
  const got = object(await policies.get(made[0].id, { account_id: ACCOUNT }), 'get');
  assert.equal(got.name, made[0].name, 'get');
  const updated = object(await policies.update(made[0].id, { account_id: ACCOUNT, name: `reusable-${RUN}-renamed`, decision: 'deny', include: [{ everyone: {} }] }), 'update');
  assert.equal(updated.decision, 'deny', 'update');
  await expectError(Cloudflare.BadRequestError, 400, () => policies.create({ account_id: ACCOUNT, name: 'bad', decision: 'allow', include: [] }), { code: 12130 });
  for (const policy of made) {
    const deleted = object(await policies.delete(policy.id, { account_id: ACCOUNT }), 'delete');
    assert.equal(deleted.id, policy.id, 'delete');
  }
  await expectError(Cloudflare.NotFoundError, 404, () => policies.get(made[0].id, { account_id: ACCOUNT }), { code: 12134 });
  covers(...['create', 'list', 'get', 'update', 'delete'].map((m) => `zeroTrust.access.policies.${m}`));
}

async function testGroups() {
  step('groups: create, list, get, update, delete');
  const groups = access.groups;
  const made = [];
  for (let i = 0; i < 3; i++) {
    made.push(object(await groups.create({ account_id: ACCOUNT, name: `group-${RUN}-${i}`, include: [{ ip: { ip: '10.0.0.0/8' } }] }), 'create'));
  }
  const listed = (await drain(groups.list({ account_id: ACCOUNT, search: `group-${RUN}`, per_page: 2 }))).map((g) => g.id);
  assert.deepEqual(listed.sort(), made.map((g) => g.id).sort(), 'list per_page=2');
  const got = object(await groups.get(made[0].id, { account_id: ACCOUNT }), 'get');
  assert.deepEqual(got.include, [{ ip: { ip: '10.0.0.0/8' } }], 'get');
  const updated = object(await groups.update(made[0].id, { account_id: ACCOUNT, name: `group-${RUN}-renamed`, include: [{ everyone: {} }] }), 'update');
  assert.equal(updated.name, `group-${RUN}-renamed`, 'update');
  await expectError(Cloudflare.BadRequestError, 400, () => groups.create({ account_id: ACCOUNT, name: 'bad', include: [{ ip: { ip: 'not an ip' } }] }), { code: 12130 });
  for (const group of made) {
    const deleted = object(await groups.delete(group.id, { account_id: ACCOUNT }), 'delete');
    assert.equal(deleted.id, group.id, 'delete');
  }
  await expectError(Cloudflare.NotFoundError, 404, () => groups.get(made[0].id, { account_id: ACCOUNT }), { code: 12109 });
  covers(...['create', 'list', 'get', 'update', 'delete'].map((m) => `zeroTrust.access.groups.${m}`));
}

// --- logs, keys, organizations, users, bookmarks -----------------------------------------------

async function testLogs(host, token) {
  step('logs.accessRequests.list');
  await gateway(host, token.client_id, 'wrong-secret');
  const deadline = Date.now() + SETTLE_MS;
  let mine;
  for (;;) {
    const records = await access.logs.accessRequests.list({ account_id: ACCOUNT, limit: 100, direction: 'desc' });
    assert.ok(Array.isArray(records), `accessRequests.list returns an array: ${JSON.stringify(records)}`);
    mine = records.filter((r) => r.app_domain === host);
    if (mine.some((r) => r.allowed === false) && mine.some((r) => r.allowed === true)) break;
    assert.ok(Date.now() < deadline, `no allowed and refused records for ${host}: ${JSON.stringify(mine)}`);
    await sleep(200);
  }
  assert.ok(mine.every((r) => r.ray_id && r.created_at), `records: ${JSON.stringify(mine)}`);
  const refused = await access.logs.accessRequests.list({ account_id: ACCOUNT, allowedOp: 'eq', allowed: false, limit: 1000 });
  assert.ok(refused.length > 0 && refused.every((r) => r.allowed === false), 'allowed=false filter');
  await expectError(Cloudflare.BadRequestError, 400, () => access.logs.accessRequests.list({ account_id: ACCOUNT, limit: 0 }), { code: 12091 });
  covers('zeroTrust.access.logs.accessRequests.list');
  await notSupported('zeroTrust.access.logs.scim.updates.list', () => access.logs.scim.updates.list({ account_id: ACCOUNT, idp_id: ['x'] }), 'zero_trust.access.logs.scim');
}

async function testKeys() {
  step('keys: get, update, rotate');
  const keys = access.keys;
  const got = object(await keys.get({ account_id: ACCOUNT }), 'get');
  assert.ok(got.key_rotation_interval_days, `get: ${JSON.stringify(got)}`);
  const updated = object(await keys.update({ account_id: ACCOUNT, key_rotation_interval_days: 45 }), 'update');
  assert.equal(updated.key_rotation_interval_days, 45, 'update');
  const rotated = object(await keys.rotate({ account_id: ACCOUNT }), 'rotate');
  assert.ok(rotated.last_key_rotation_at, `rotate: ${JSON.stringify(rotated)}`);
  await expectError(Cloudflare.BadRequestError, 400, () => keys.update({ account_id: ACCOUNT, key_rotation_interval_days: 0 }), { code: 12130 });
  covers(...['get', 'update', 'rotate'].map((m) => `zeroTrust.access.keys.${m}`));
}

async function testOrganizations() {
  step('organizations: list, update');
  const orgs = client.zeroTrust.organizations;
  const org = object(await orgs.list({ account_id: ACCOUNT }), 'list');
  assert.ok(org.auth_domain, `list: ${JSON.stringify(org)}`);
  const updated = object(await orgs.update({ account_id: ACCOUNT, name: `org-${RUN}` }), 'update');
  assert.ok(updated.name === `org-${RUN}` && updated.auth_domain === org.auth_domain, `update: ${JSON.stringify(updated)}`);
  await expectError(
    Cloudflare.BadRequestError,
    400,
    () => orgs.update({ account_id: ACCOUNT, service_token_inactivity: { enabled: true, inactivity_threshold_days: 1, action: 'disable' } }),
    { code: 12130 },
  );
  covers('zeroTrust.organizations.list', 'zeroTrust.organizations.update');

  step('organizations: revokeUsers');
  const revoked = await orgs.revokeUsers({ account_id: ACCOUNT, email: 'someone@example.com' });
  assert.equal(revoked, true, `revokeUsers: ${JSON.stringify(revoked)}`);
  covers('zeroTrust.organizations.revokeUsers');

  step('organizations: create, doh are not supported');
  await expectError(Cloudflare.APIError, 405, () => orgs.create({ account_id: ACCOUNT, auth_domain: 'x.example.com', name: 'x' }), {
    code: 7001,
    text: 'zero_trust.organizations.create',
  });
  covers('zeroTrust.organizations.create');
  await notSupported('zeroTrust.organizations.doh.get', () => orgs.doh.get({ account_id: ACCOUNT }));
  await notSupported('zeroTrust.organizations.doh.update', () => orgs.doh.update({ account_id: ACCOUNT, doh_jwt_duration: '800h', service_token_id: randomUUID() }));
}

async function testUsersAndBookmarks() {
  step('users: list is served (people who logged in or were revoked); the rest is not');
  const users = access.users;
  const userId = randomUUID();
  let names = 'zero_trust.access.users';
  const u = 'zeroTrust.access.users';
  await client.zeroTrust.organizations.revokeUsers({ account_id: ACCOUNT, email: 'Listed@example.com' });
  const listed = [];
  for await (const user of users.list({ account_id: ACCOUNT, email: 'listed@example.com' })) listed.push(user);
  assert.deepEqual(listed.map((user) => user.email), ['listed@example.com'], `users.list: ${JSON.stringify(listed)}`);
  assert.ok(listed.every((user) => user.id && user.id === user.uid), `users.list ids: ${JSON.stringify(listed)}`);
  covers(`${u}.list`);
  await expectError(Cloudflare.APIError, 405, () => users.create({ account_id: ACCOUNT, email: 'someone@example.com' }), {
    code: 7001,
    text: 'zero_trust.access.users.create',
  });
  covers(`${u}.create`);
  await notSupported(`${u}.get`, () => users.get(userId, { account_id: ACCOUNT }), names);
  await notSupported(`${u}.update`, () => users.update(userId, { account_id: ACCOUNT, email: 'a@example.com', name: 'a' }), names);
  await notSupported(`${u}.delete`, () => users.delete(userId, { account_id: ACCOUNT }), names);
  await notSupported(`${u}.activeSessions.list`, () => users.activeSessions.list(userId, { account_id: ACCOUNT }), names);
  await notSupported(`${u}.activeSessions.get`, () => users.activeSessions.get('nonce', { account_id: ACCOUNT, user_id: userId }), names);
  await notSupported(`${u}.failedLogins.list`, () => users.failedLogins.list(userId, { account_id: ACCOUNT }), names);
  await notSupported(`${u}.lastSeenIdentity.get`, () => users.lastSeenIdentity.get(userId, { account_id: ACCOUNT }), names);
  const bookmarks = access.bookmarks;
  const bookmarkId = randomUUID();
  names = 'zero_trust.access.bookmarks';
  const b = 'zeroTrust.access.bookmarks';
  await notSupported(`${b}.list`, () => bookmarks.list({ account_id: ACCOUNT }), names);
  await notSupported(`${b}.create`, () => bookmarks.create(bookmarkId, { account_id: ACCOUNT }), names);
  await notSupported(`${b}.get`, () => bookmarks.get(bookmarkId, { account_id: ACCOUNT }), names);
  await notSupported(`${b}.update`, () => bookmarks.update(bookmarkId, { account_id: ACCOUNT }), names);
  await notSupported(`${b}.delete`, () => bookmarks.delete(bookmarkId, { account_id: ACCOUNT }), names);
}

// --- every method was called -------------------------------------------------------------------

/// Every public method of the SDK's resources in scope, as dotted paths.
function sdkMethods() {
  const found = new Set();
  const walk = (resource, path) => {
    const names = new Set();
    for (let proto = Object.getPrototypeOf(resource); proto && proto !== APIResource.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name !== 'constructor' && typeof resource[name] === 'function') names.add(name);
      }
    }
    for (const name of names) found.add(`${path}.${name}`);
    for (const [name, child] of Object.entries(resource)) {
      if (child instanceof APIResource) walk(child, `${path}.${name}`);
    }
  };
  for (const name of ['serviceTokens', 'applications', 'policies', 'groups', 'logs', 'keys', 'users', 'bookmarks']) {
    assert.ok(access[name] instanceof APIResource, `the SDK has no zeroTrust.access.${name}`);
    walk(access[name], `zeroTrust.access.${name}`);
  }
  walk(client.zeroTrust.organizations, 'zeroTrust.organizations');
  walk(client.user.tokens, 'user.tokens');
  found.add('accounts.list');
  return found;
}

console.log(`cloudflare ${VERSION} (Node ${process.version})`);
assert.ok(VERSION.startsWith('7.'), `expected cloudflare 7.x, got ${VERSION}`);
await testAccounts();
await testUserTokens();
await testServiceTokens();
await testRotation();
const { app, token, host } = await testApplications();
await testAppPolicies(app, token);
await testAppUnsupported(app);
await testLogs(host, token);
await testAppDelete(app);
await testPolicies();
await testGroups();
await testKeys();
await testOrganizations();
await testUsersAndBookmarks();
const methods = sdkMethods();
const missing = [...methods].filter((m) => !covered.has(m)).sort();
assert.deepEqual(missing, [], `SDK methods the surface test does not call: ${missing}`);
const unknown = [...covered].filter((m) => !methods.has(m)).sort();
assert.deepEqual(unknown, [], `covered names that are not SDK methods: ${unknown}`);
console.log(`node surface: all checks passed; ${covered.size} SDK methods covered`);
