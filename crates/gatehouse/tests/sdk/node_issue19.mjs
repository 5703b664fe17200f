// The five places where an unchanged SDK client and gatehouse disagreed (issue 19), checked
// through the official Node SDK (`cloudflare` 7.x) only: accounts.list ends, an application
// update keeps gatehouse's origin, audit records use Cloudflare's actor types, audit_logs.list
// filters by id, and a rotation without a deadline says how long the previous secret lives.
//
// Run by `crates/gatehouse/tests/e2e/sdk.rs` with the environment of node_contract.mjs
// (CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN, GATEHOUSE_ACCOUNT_ID). Every point runs; the script
// prints each broken expectation as `FAILED (point N): …` and exits non-zero if there is any.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Cloudflare from 'cloudflare';

const ACCOUNT = process.env.GATEHOUSE_ACCOUNT_ID;
const BASE = process.env.CLOUDFLARE_BASE_URL;
assert.ok(ACCOUNT && BASE, 'GATEHOUSE_ACCOUNT_ID and CLOUDFLARE_BASE_URL must be set');
const ORIGIN = new URL(BASE).origin;
const RUN = randomBytes(3).toString('hex');
// Cloudflare's schema of `actor.type`.
const ACTOR_TYPES = ['user', 'admin', 'Cloudflare'];

const client = new Cloudflare({ maxRetries: 0 });
const access = client.zeroTrust.access;
const failures = [];

async function point(number, title, body) {
  console.log(`--- point ${number}: ${title}`);
  try {
    await body();
  } catch (error) {
    const message = `FAILED (point ${number}): ${error.message}`;
    console.log(message);
    failures.push(message);
  }
}

await point(1, 'accounts.list auto-paginates and ends', async () => {
  const ids = [];
  for await (const account of client.accounts.list()) {
    ids.push(account.id);
    assert.ok(ids.length <= 10, `accounts.list does not end: ${ids.length} accounts so far`);
  }
  assert.deepEqual(ids, [ACCOUNT], 'accounts.list');
  const second = await client.accounts.list({ page: 2, per_page: 5 }).asResponse();
  const body = await second.json();
  assert.deepEqual(body.result, [], 'page 2 of one account is empty');
  assert.deepEqual(body.result_info, { page: 2, per_page: 5, count: 0, total_count: 1, total_pages: 1 }, 'result_info of page 2');
});

await point(2, 'applications.update without origin keeps it', async () => {
  const host = `node-app-${RUN}.example.com`;
  const app = await access.applications.create({ account_id: ACCOUNT, name: `node-app-${RUN}`, domain: host, type: 'self_hosted', origin: ORIGIN });
  assert.equal(app.origin, ORIGIN, 'create with origin');
  const renamed = await access.applications.update(app.id, { account_id: ACCOUNT, name: `node-app-${RUN}-renamed`, domain: host, type: 'self_hosted' });
  assert.equal(renamed.name, `node-app-${RUN}-renamed`, 'update renames');
  assert.equal(renamed.origin, ORIGIN, `an update that does not mention origin must keep it: ${JSON.stringify(renamed)}`);
  const got = await access.applications.get(app.id, { account_id: ACCOUNT });
  assert.equal(got.origin, ORIGIN, 'origin after update, as stored');
});

const tokens = access.serviceTokens;
const audited = await tokens.create({ account_id: ACCOUNT, name: `node-audited-${RUN}` });
await tokens.update(audited.id, { account_id: ACCOUNT, name: `node-audited-${RUN}-renamed` });
const mine = [];
for await (const record of client.auditLogs.list({ account_id: ACCOUNT, per_page: 100 })) {
  if (record.resource?.id === audited.id) mine.push(record);
}

await point(3, "audit records' actor.type is Cloudflare's, the API token beside it", async () => {
  assert.equal(mine.length, 2, `a create and an update record of ${audited.id}`);
  for (const { actor } of mine) {
    assert.ok(ACTOR_TYPES.includes(actor.type), `actor.type ${JSON.stringify(actor.type)} is not one of ${ACTOR_TYPES}`);
    assert.equal(actor.context, 'api_token', `actor.context: ${JSON.stringify(actor)}`);
    assert.ok(actor.token_id === actor.id && actor.token_name, `the API token is not named: ${JSON.stringify(actor)}`);
  }
});

await point(4, 'auditLogs.list({ id }) returns that record only', async () => {
  assert.ok(mine.length > 0, 'no record to look up');
  const wanted = mine[mine.length - 1];
  const byId = (await client.auditLogs.list({ account_id: ACCOUNT, id: wanted.id })).result;
  assert.deepEqual(byId.map((r) => r.id), [wanted.id], `auditLogs.list({ id: ${wanted.id} })`);
  const none = (await client.auditLogs.list({ account_id: ACCOUNT, id: '0'.repeat(32) })).result;
  assert.equal(none.length, 0, 'an unknown id matches nothing');
});

await point(5, 'rotate without previous_client_secret_expires_at says the previous secret lives on', async () => {
  const token = await tokens.create({ account_id: ACCOUNT, name: `node-rotate-${RUN}` });
  const plain = await (await tokens.rotate(token.id, { account_id: ACCOUNT }).asResponse()).json();
  assert.equal(plain.result.client_secret_version, 2, 'rotate');
  assert.equal(plain.result.previous_client_secret_expires_at ?? null, null, 'no deadline was given');
  const kept = plain.messages.find((m) => m.code === 12150);
  assert.ok(kept, `rotate without a deadline must say how long the old secret lives: messages ${JSON.stringify(plain.messages)}`);
  assert.match(kept.message, /until the new one is first used/, 'message 12150');

  const deadline = new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const graced = await (await tokens.rotate(token.id, { account_id: ACCOUNT, previous_client_secret_expires_at: deadline }).asResponse()).json();
  assert.equal(graced.result.previous_client_secret_expires_at, deadline, 'deadline echoed');
  assert.ok(graced.messages.every((m) => m.code !== 12150), `a rotation with a deadline needs no message: ${JSON.stringify(graced.messages)}`);
});

if (failures.length > 0) {
  console.log(`node_issue19.mjs: ${failures.length} point(s) broken`);
  process.exit(1);
}
console.log('node_issue19.mjs: all five points pass');
