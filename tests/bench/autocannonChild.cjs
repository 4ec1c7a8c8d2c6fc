// autocannon in a process of its own (`loadApart` in lib.ts): the load generator does not share the
// measured server's event loop. Reads its options as JSON in argv[2], prints the result as JSON.
const autocannon = require('autocannon')

const opts = JSON.parse(process.argv[2])
autocannon({ url: opts.url, connections: opts.connections, duration: opts.seconds, headers: opts.headers }, (err, r) => {
  if (err) {
    process.stderr.write(String(err))
    process.exit(1)
  }
  process.stdout.write(JSON.stringify({ requestsPerSecond: Math.round(r.requests.average), p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, total: r.requests.total }))
})
