// The user guide's Node.js client example ("In Code (Node.js)"), run against a local gatehouse.
// Only the URL differs: APP_URL is http://app.example.com:<gateway port>/api/data, and the
// resolver below sends app.example.com to 127.0.0.1 (as curl's --resolve does).
import dns from 'node:dns';

const lookup = dns.lookup;
dns.lookup = (host, options, callback) =>
  lookup(host === 'app.example.com' ? '127.0.0.1' : host, options, callback);

// --- the guide's example ---
const response = await fetch(process.env.APP_URL, {
  headers: {
    'CF-Access-Client-Id': process.env.CF_ACCESS_CLIENT_ID,
    'CF-Access-Client-Secret': process.env.CF_ACCESS_CLIENT_SECRET
  }
});
// --- end of the example ---

console.log(response.status);
console.log(await response.text());
